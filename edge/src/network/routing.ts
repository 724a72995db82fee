import { cidrContains, parseCidr } from "./ipam.js";

export interface RouterTopology {
  id: string;
  gatewayNetworkId: string | null;
  /** Subnets the router has an interface on. */
  subnetIds: string[];
}

/**
 * The router that can carry a floating IP on `externalNetworkId` to an address in `subnetId`:
 * one with its gateway on that network and an interface on that subnet (Neutron's rule).
 */
export function routerForFloatingIp(routers: RouterTopology[], externalNetworkId: string, subnetId: string): string | null {
  const r = routers.find((x) => x.gatewayNetworkId === externalNetworkId && x.subnetIds.includes(subnetId));
  return r ? r.id : null;
}

/** True when two CIDRs share any address (a router cannot route to overlapping subnets). */
export function cidrsOverlap(a: string, b: string): boolean {
  return cidrContains(a, parseCidr(b).network) || cidrContains(b, parseCidr(a).network);
}
