import { z } from "zod";
import { portSpec } from "./messages.js";

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


/** One leg of a router: its port's address on a network's bridge. */
export const routerLeg = z.object({
  portId: z.string().min(1),
  networkId: z.string().min(1),
  mac: z.string().regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/),
  ip: z.string(),
  prefixLength: z.number().int().min(0).max(32),
});

/** A router as a host realises it: a namespace with legs on tenant bridges and the external one. */
export const routerSpec = z.object({
  routerId: z.string().min(1),
  interfaces: z.array(routerLeg),
  gateway: routerLeg.extend({
    /** The external subnet's gateway: the router's default route. */
    nexthop: z.string().nullable(),
    enableSnat: z.boolean(),
  }).nullable(),
  /** 1:1 NAT: traffic to `floatingIp` goes to `fixedIp` and back. */
  floatingIps: z.array(z.object({ floatingIp: z.string(), fixedIp: z.string() })),
});
export type RouterSpec = z.infer<typeof routerSpec>;
export type RouterLeg = z.infer<typeof routerLeg>;

/** Network commands the edge sends to hosts. */
export const networkCommandPayloads = {
  /** The full firewall state of every port bound to the host; idempotent, replaces what was there. */
  "network.firewall": z.object({ ports: z.array(firewallPort) }),
  /** Creates or converges a router on the host. */
  "network.router": z.object({ router: routerSpec }),
  "network.router-delete": z.object({ routerId: z.string().min(1) }),
  // Interface hotplug (os-interface). Lazy: messages.ts imports this file while it is being defined.
  "server.interface-attach": z.object({ serverId: z.string().min(1), port: z.lazy(() => portSpec) }),
  "server.interface-detach": z.object({ serverId: z.string().min(1), port: z.lazy(() => portSpec) }),
} as const;
