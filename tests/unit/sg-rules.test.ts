import { describe, expect, it } from "vitest";
import { defaultGroupRules, newGroupRules, normalizeRule, ruleKey } from "../../edge/src/network/sg-rules.js";

const typeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as { type?: string; status?: number }).type;
  }
  return "ok";
};

describe("security group rules", () => {
  it("normalises a TCP rule and fills port_range_max from min", () => {
    expect(normalizeRule({ direction: "ingress", protocol: "TCP", port_range_min: 22 })).toEqual({
      direction: "ingress", ethertype: "IPv4", protocol: "tcp", portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: null, remoteGroupId: null,
    });
  });

  it("masks remote_ip_prefix to its network and checks the ethertype", () => {
    expect(normalizeRule({ direction: "ingress", remote_ip_prefix: "10.1.2.3/16" }).remoteIpPrefix).toBe("10.1.0.0/16");
    expect(normalizeRule({ direction: "ingress", remote_ip_prefix: "10.1.2.3" }).remoteIpPrefix).toBe("10.1.2.3/32");
    expect(typeOf(() => normalizeRule({ direction: "ingress", ethertype: "IPv6", remote_ip_prefix: "10.0.0.0/8" }))).toBe("SecurityGroupConflictingEthertype");
  });

  it("rejects what Neutron rejects", () => {
    expect(typeOf(() => normalizeRule({ direction: "sideways" }))).toBe("InvalidInput");
    expect(typeOf(() => normalizeRule({ direction: "ingress", protocol: "bogus" }))).toBe("SecurityGroupRuleInvalidProtocol");
    expect(typeOf(() => normalizeRule({ direction: "ingress", protocol: "tcp", port_range_min: 80, port_range_max: 79 }))).toBe("SecurityGroupInvalidPortRange");
    expect(typeOf(() => normalizeRule({ direction: "ingress", port_range_min: 80 }))).toBe("SecurityGroupProtocolRequiredWithPorts");
    expect(typeOf(() => normalizeRule({ direction: "ingress", protocol: "icmp", port_range_min: 300 }))).toBe("SecurityGroupInvalidIcmpValue");
    expect(typeOf(() => normalizeRule({ direction: "ingress", protocol: "icmp", port_range_max: 0 }))).toBe("SecurityGroupMissingIcmpType");
    expect(typeOf(() => normalizeRule({ direction: "ingress", remote_ip_prefix: "10.0.0.0/8", remote_group_id: "g" }))).toBe("SecurityGroupRemoteGroupAndRemoteIpPrefix");
    expect(typeOf(() => normalizeRule({ direction: "egress", protocol: "17", port_range_min: 53, port_range_max: 53 }))).toBe("ok");
  });

  it("gives the default group ingress from itself and egress anywhere", () => {
    const rules = defaultGroupRules("g1");
    expect(rules.filter((r) => r.direction === "ingress").map((r) => [r.ethertype, r.remoteGroupId])).toEqual([["IPv4", "g1"], ["IPv6", "g1"]]);
    expect(newGroupRules().every((r) => r.direction === "egress" && r.protocol === null)).toBe(true);
  });

  it("treats rules with the same match as duplicates", () => {
    const a = normalizeRule({ direction: "ingress", protocol: "tcp", port_range_min: 22 });
    const b = normalizeRule({ direction: "ingress", protocol: "tcp", port_range_min: 22, port_range_max: 22 });
    expect(ruleKey(a)).toBe(ruleKey(b));
    expect(ruleKey(a)).not.toBe(ruleKey(normalizeRule({ direction: "egress", protocol: "tcp", port_range_min: 22 })));
  });
});
