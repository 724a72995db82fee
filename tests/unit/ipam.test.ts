import { describe, expect, it } from "vitest";
import { cidrContains, defaultGateway, defaultPools, isValidCidr, nextFreeIp, parseCidr, randomMac } from "../../edge/src/network/ipam.js";

describe("ipam", () => {
  it("normalises a CIDR and knows its bounds", () => {
    expect(parseCidr("10.0.0.77/24")).toMatchObject({ network: "10.0.0.0", prefixLength: 24 });
    expect(isValidCidr("10.0.0.0/24")).toBe(true);
    expect(isValidCidr("10.0.0.0/33")).toBe(false);
    expect(isValidCidr("banana")).toBe(false);
  });

  it("reserves the gateway and broadcast like Neutron", () => {
    expect(defaultGateway("192.168.5.0/24")).toBe("192.168.5.1");
    expect(defaultPools("192.168.5.0/24", "192.168.5.1")).toEqual([{ start: "192.168.5.2", end: "192.168.5.254" }]);
    expect(defaultPools("10.0.0.0/29", "10.0.0.3")).toEqual([{ start: "10.0.0.1", end: "10.0.0.2" }, { start: "10.0.0.4", end: "10.0.0.6" }]);
  });

  it("hands out the lowest free address and reports exhaustion", () => {
    const pools = [{ start: "10.0.0.2", end: "10.0.0.4" }];
    expect(nextFreeIp(pools, new Set())).toBe("10.0.0.2");
    expect(nextFreeIp(pools, new Set(["10.0.0.2", "10.0.0.3"]))).toBe("10.0.0.4");
    expect(nextFreeIp(pools, new Set(["10.0.0.2", "10.0.0.3", "10.0.0.4"]))).toBeNull();
  });

  it("checks containment", () => {
    expect(cidrContains("10.0.0.0/24", "10.0.0.200")).toBe(true);
    expect(cidrContains("10.0.0.0/24", "10.0.1.1")).toBe(false);
    expect(cidrContains("10.0.0.0/24", "not-an-ip")).toBe(false);
  });

  it("makes MACs in fa:16:3e", () => {
    expect(randomMac(() => 0.5)).toBe("fa:16:3e:80:80:80");
    expect(randomMac()).toMatch(/^fa:16:3e(:[0-9a-f]{2}){3}$/);
  });
});
