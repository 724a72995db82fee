import { describe, expect, it } from "vitest";
import type { GuestIdentity } from "#shared";
import { metadataAnswer } from "./answer.js";
import { metadataRuleset, parseArp } from "./ruleset.js";

const g: GuestIdentity = {
  serverId: "11111111-2222-3333-4444-555555555555", name: "VM",
  ports: [{ portId: "p1", networkId: "n1", mac: "fa:16:3e:00:00:01", ip: "10.0.0.3", prefixLength: 24, gateway: "10.0.0.1", dhcpServerIp: "10.0.0.2", mtu: 1500 }],
  config: {
    configDrive: false, hostname: "vm", projectId: "p", availabilityZone: "nova", flavorName: "m1.tiny", imageId: "img", launchIndex: 0,
    meta: {}, publicKeys: [{ name: "k", type: "ssh", data: "ssh-rsa AAAA" }], userData: null, dnsNameservers: [],
  },
};
const body = (path: string, guest = g) => String(metadataAnswer(path, guest).body);

describe("metadataAnswer", () => {
  it("serves the OpenStack tree", () => {
    expect(body("/openstack")).toBe("latest");
    expect(body("/openstack/latest/").split("\n")).toEqual(["meta_data.json", "network_data.json", "vendor_data.json", "vendor_data2.json"]);
    expect(JSON.parse(body("/openstack/latest/meta_data.json")).hostname).toBe("vm");
    expect(metadataAnswer("/openstack/latest/meta_data.json", g).contentType).toBe("application/json");
    expect(metadataAnswer("/openstack/latest/user_data", g).status).toBe(404);
    const withUd = { ...g, config: { ...g.config, userData: btoa("hi") } };
    expect(new TextDecoder().decode(metadataAnswer("/openstack/latest/user_data", withUd).body as Uint8Array)).toBe("hi");
    expect(metadataAnswer("/openstack/2009-01-01/meta_data.json", g).status).toBe(404);
  });

  it("serves the EC2 tree with listings", () => {
    expect(body("/latest")).toBe("meta-data/");
    expect(body("/latest/meta-data/").split("\n")).toContain("placement/");
    expect(body("/latest/meta-data/instance-id")).toBe("i-11111111");
    expect(body("/latest/meta-data/placement/availability-zone")).toBe("nova");
    expect(body("/latest/meta-data/public-keys/")).toBe("0=k");
    expect(body("/latest/meta-data/public-keys/0/openssh-key")).toBe("ssh-rsa AAAA");
    expect(body("/latest/meta-data/security-groups")).toBe("default");
    expect(metadataAnswer("/latest/meta-data/nope", g).status).toBe(404);
    expect(metadataAnswer("/latest/user-data", g).status).toBe(404);
  });
});

describe("metadata ruleset", () => {
  it("DNATs each bridge to its listener, closes the port elsewhere and routes replies by mark", () => {
    expect(metadataRuleset("t", [{ bridge: "nbr-a", port: 4000 }])).toBe(`table inet t {}
delete table inet t
table inet t {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "nbr-a" ip daddr 169.254.169.254 tcp dport 80 ct mark set 0x4e000fa0 dnat ip to 169.254.169.254:4000
  }
  chain input {
    type filter hook input priority filter; policy accept;
    ip daddr 169.254.169.254 tcp dport 4000 iifname != "nbr-a" drop
  }
  chain output {
    type route hook output priority mangle; policy accept;
    ip saddr 169.254.169.254 ct mark & 0xff000000 == 0x4e000000 meta mark set ct mark
  }
}
`);
    expect(metadataRuleset("t", [])).toBe("table inet t {}\ndelete table inet t\n");
  });

  it("reads the neighbour table", () => {
    const arp = "IP address       HW type     Flags       HW address            Mask     Device\n10.0.0.3 0x1 0x2 FA:16:3E:00:00:01 * nbr-a\n10.0.0.4 0x1 0x0 00:00:00:00:00:00 * nbr-a\n";
    expect([...parseArp(arp)]).toEqual([["10.0.0.3@nbr-a", "fa:16:3e:00:00:01"]]);
  });
});
