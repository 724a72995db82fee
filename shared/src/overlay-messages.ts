import { z } from "zod";

/** One tenant network as a host carries it over VXLAN: its VNI and the other hosts' tunnel endpoints. */
export const overlayNetwork = z.object({
  networkId: z.string().min(1),
  vni: z.number().int().min(1).max(16_777_215),
  mtu: z.number().int().min(576).max(9000),
  /** Underlay IPv4 addresses of the other online hosts carrying the network (sorted). */
  peers: z.array(z.string()),
});
export type OverlayNetwork = z.infer<typeof overlayNetwork>;

export const overlayCommandPayloads = {
  /** Every tenant network the host carries, with its peers; idempotent full state (others are torn down). */
  "network.overlay": z.object({ networks: z.array(overlayNetwork) }),
} as const;
