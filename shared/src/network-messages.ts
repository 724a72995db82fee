import { z } from "zod";

/** One allowed flow of a port's security groups, resolved by the edge for the host (IPv4 only). */
export const firewallRule = z.object({
  direction: z.enum(["ingress", "egress"]),
  /** IP protocol number; null is any protocol. */
  protocol: z.number().int().min(0).max(255).nullable(),
  /** TCP/UDP/SCTP/DCCP/UDP-Lite port range, or ICMP type (min) and code (max). */
  portMin: z.number().int().min(0).max(65535).nullable(),
  portMax: z.number().int().min(0).max(65535).nullable(),
  /** Remote CIDRs (a remote group resolves to its members' /32s); null is anywhere. */
  remote: z.array(z.string()).nullable(),
});
export type FirewallRule = z.infer<typeof firewallRule>;

/** What a host enforces for one VM interface: anti-spoofing and its security groups. */
export const firewallPort = z.object({
  portId: z.string().min(1),
  networkId: z.string().min(1),
  mac: z.string().regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/),
  ips: z.array(z.string()),
  /** Off: no anti-spoofing and no filtering (Neutron's port_security_enabled=false). */
  portSecurity: z.boolean(),
  allowedAddressPairs: z.array(z.object({ ip: z.string(), mac: z.string() })),
  rules: z.array(firewallRule),
});
export type FirewallPort = z.infer<typeof firewallPort>;

/** Network commands the edge sends to hosts. */
export const networkCommandPayloads = {
  /** The full firewall state of every port bound to the host; idempotent, replaces what was there. */
  "network.firewall": z.object({ ports: z.array(firewallPort) }),
} as const;
