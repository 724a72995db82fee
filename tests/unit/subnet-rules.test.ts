import { describe, expect, it } from "vitest";
import { cidrsOverlap, routerForFloatingIp } from "../../edge/src/network/routing.js";
import { checkSubnet, type SubnetShape } from "../../edge/src/network/subnet-rules.js";

const base: SubnetShape = { cidr: "10.0.0.0/24", gatewayIp: "10.0.0.1", allocationPools: [{ start: "10.0.0.2", end: "10.0.0.254" }], dnsNameservers: [], hostRoutes: [] };
const errOf = (s: Partial<SubnetShape>) => {
  try {
    checkSubnet({ ...base, ...s });
    return "ok";
  } catch (e) {
    return `${(e as { status: number }).status} ${(e as { type: string }).type}`;
  }
};

describe("subnet checks", () => {
  it("accepts Neutron's defaults and a subnet without gateway", () => {
    expect(errOf({})).toBe("ok");
    expect(errOf({ gatewayIp: null, allocationPools: [{ start: "10.0.0.1", end: "10.0.0.254" }] })).toBe("ok");
  });
  it("rejects pools outside the CIDR, reversed, overlapping or holding the gateway", () => {
    expect(errOf({ allocationPools: [{ start: "10.0.0.2", end: "10.0.1.5" }] })).toBe("400 OutOfBoundsAllocationPool");
    expect(errOf({ allocationPools: [{ start: "10.0.0.9", end: "10.0.0.5" }] })).toBe("400 InvalidAllocationPool");
    expect(errOf({ allocationPools: [{ start: "10.0.0.2", end: "10.0.0.9" }, { start: "10.0.0.9", end: "10.0.0.20" }] })).toBe("400 OverlappingAllocationPools");
    expect(errOf({ allocationPools: [{ start: "10.0.0.1", end: "10.0.0.9" }] })).toBe("409 GatewayConflictWithAllocationPools");
  });
  it("rejects a gateway off the subnet or on its network/broadcast address", () => {
    expect(errOf({ gatewayIp: "10.0.1.1" })).toBe("400 InvalidInput");
    expect(errOf({ gatewayIp: "10.0.0.255", allocationPools: [] })).toBe("400 InvalidInput");
  });
  it("rejects bad or duplicate DNS servers and host routes", () => {
    expect(errOf({ dnsNameservers: ["8.8.8.8", "8.8.8.8"] })).toBe("400 InvalidInput");
    expect(errOf({ dnsNameservers: ["dns.example"] })).toBe("400 InvalidInput");
    expect(errOf({ hostRoutes: [{ destination: "10.9.0.0/16", nexthop: "10.0.0.5" }] })).toBe("ok");
    expect(errOf({ hostRoutes: [{ destination: "10.9.0.0", nexthop: "10.0.0.5" }] })).toBe("400 InvalidInput");
  });
});

describe("routing checks", () => {
  const routers = [
    { id: "r1", gatewayNetworkId: "ext", subnetIds: ["s1"] },
    { id: "r2", gatewayNetworkId: null, subnetIds: ["s2"] },
  ];
  it("finds the router linking a subnet to the external network", () => {
    expect(routerForFloatingIp(routers, "ext", "s1")).toBe("r1");
    expect(routerForFloatingIp(routers, "ext", "s2")).toBeNull();
    expect(routerForFloatingIp(routers, "other", "s1")).toBeNull();
  });
  it("detects overlapping CIDRs", () => {
    expect(cidrsOverlap("10.0.0.0/24", "10.0.0.128/25")).toBe(true);
    expect(cidrsOverlap("10.0.0.0/24", "10.0.1.0/24")).toBe(false);
  });
});
