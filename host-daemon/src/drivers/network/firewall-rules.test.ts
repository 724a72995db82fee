import type { FirewallPort } from "#shared";
import { describe, expect, it } from "vitest";
import { buildFirewall, firewallTable, ruleMatch } from "./firewall-rules.js";

const port: FirewallPort = {
  portId: "11111111-2222-3333-4444-555555555555", networkId: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", mac: "fa:16:3e:00:00:01",
  ips: ["10.0.0.5"], portSecurity: true, allowedAddressPairs: [],
  rules: [
    { direction: "ingress", protocol: 6, portMin: 22, portMax: 22, remote: ["0.0.0.0/0"] },
    { direction: "ingress", protocol: null, portMin: null, portMax: null, remote: [] },
    { direction: "egress", protocol: null, portMin: null, portMax: null, remote: null },
  ],
};

describe("firewall ruleset", () => {
  it("renders rule matches", () => {
    expect(ruleMatch({ direction: "ingress", protocol: 6, portMin: 80, portMax: 90, remote: ["10.1.0.0/16"] })).toBe("ip saddr { 10.1.0.0/16 } meta l4proto 6 th dport 80-90");
    expect(ruleMatch({ direction: "egress", protocol: 1, portMin: 8, portMax: 0, remote: ["10.0.0.7/32"] })).toBe("ip daddr { 10.0.0.7/32 } meta l4proto 1 icmp type 8 icmp code 0");
    expect(ruleMatch({ direction: "ingress", protocol: null, portMin: null, portMax: null, remote: [] })).toBeNull();
  });

  it("builds anti-spoofing and default-deny stateful chains for secured ports only", () => {
    const script = buildFirewall("t_fw", [port, { ...port, portId: "99999999-2222-3333-4444-555555555555", portSecurity: false }]);
    expect(script).toContain(`iifname "tap11111111222" jump spoof_11111111222`);
    expect(script).not.toContain("tap99999999222");
    expect(script).toContain("ether saddr != { fa:16:3e:00:00:01 } drop");
    expect(script).toContain(`oifname "nbr-aaaaaaaabbb" ip daddr { 10.0.0.5 } jump ingress_11111111222`);
    const start = script.indexOf("chain ingress_");
    const ingress = script.slice(start, script.indexOf("\n  }", start));
    expect(ingress.split("\n").map((l) => l.trim())).toEqual([
      "chain ingress_11111111222 {", "udp sport 67 udp dport 68 accept", "ip saddr { 0.0.0.0/0 } meta l4proto 6 th dport 22 accept", "drop",
    ]);
    expect(script.startsWith("table bridge t_fw {}\ndelete table bridge t_fw\n")).toBe(true);
  });

  it("derives a table name per daemon prefix", () => {
    expect(firewallTable("nimbus-tempest123-")).toBe("nimbus_tempest123_fw");
  });
});
