import ipaddr from "ipaddr.js";
import { ApiError } from "../lib/errors.js";
import { cidrContains, isValidCidr, parseCidr, type Pool } from "./ipam.js";

export interface SubnetShape {
  cidr: string;
  gatewayIp: string | null;
  allocationPools: Pool[];
  dnsNameservers: string[];
  hostRoutes: Array<{ destination: string; nexthop: string }>;
}

const bad = (msg: string, type = "InvalidInput") => new ApiError(400, msg, type);
const ipNum = (ip: string) => ipaddr.IPv4.parse(ip).toByteArray().reduce((a, b) => a * 256 + b, 0);
const isIp = (ip: string) => ipaddr.IPv4.isValidFourPartDecimal(ip);

/** Neutron's subnet checks: gateway, pools (inside, ordered, disjoint, not the gateway), DNS, routes. */
export function checkSubnet(s: SubnetShape): void {
  const { first, last, prefixLength } = parseCidr(s.cidr);
  if (s.gatewayIp !== null) {
    if (!isIp(s.gatewayIp)) throw bad(`Invalid input for gateway_ip. Reason: '${s.gatewayIp}' is not a valid IP address.`);
    const gw = ipNum(s.gatewayIp);
    if (!cidrContains(s.cidr, s.gatewayIp) || (prefixLength < 31 && (gw === first || gw === last))) throw bad(`Gateway ip ${s.gatewayIp} conflicts with allocation pool or is not valid on subnet ${s.cidr}.`, "InvalidInput");
  }
  const ranges = s.allocationPools.map((p) => {
    if (!isIp(p.start) || !isIp(p.end)) throw bad(`Invalid input for allocation_pools: ${p.start}-${p.end} is not a valid IP range.`);
    if (!cidrContains(s.cidr, p.start) || !cidrContains(s.cidr, p.end)) throw new ApiError(400, `The allocation pool ${p.start}-${p.end} spans beyond the subnet cidr ${s.cidr}.`, "OutOfBoundsAllocationPool");
    const r = { lo: ipNum(p.start), hi: ipNum(p.end), text: `${p.start}-${p.end}` };
    if (r.lo > r.hi) throw new ApiError(400, `The allocation pool ${r.text} is not valid.`, "InvalidAllocationPool");
    return r;
  });
  const sorted = [...ranges].sort((a, b) => a.lo - b.lo);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].lo <= sorted[i - 1].hi) throw new ApiError(400, `Found overlapping allocation pools: ${sorted[i - 1].text} and ${sorted[i].text} for subnet ${s.cidr}.`, "OverlappingAllocationPools");
  }
  if (s.gatewayIp) {
    const gw = ipNum(s.gatewayIp);
    const hit = ranges.find((r) => gw >= r.lo && gw <= r.hi);
    if (hit) throw new ApiError(409, `Gateway ip ${s.gatewayIp} conflicts with allocation pool ${hit.text}.`, "GatewayConflictWithAllocationPools");
  }
  for (const ns of s.dnsNameservers) if (!isIp(ns)) throw bad(`Invalid input for dns_nameservers. Reason: '${ns}' is not a valid nameserver.`);
  if (new Set(s.dnsNameservers).size !== s.dnsNameservers.length) throw bad("Invalid input for dns_nameservers. Reason: Duplicate nameserver.");
  for (const r of s.hostRoutes) {
    if (!isValidCidr(r.destination) || !isIp(r.nexthop)) throw bad(`Invalid input for host_routes. Reason: '${JSON.stringify(r)}' is not a valid host route.`);
  }
  const routeKeys = s.hostRoutes.map((r) => `${r.destination}|${r.nexthop}`);
  if (new Set(routeKeys).size !== routeKeys.length) throw bad("Invalid input for host_routes. Reason: Duplicate hostroute.");
}
