import { describe, expect, it } from "vitest";
import { dhcpPaths, dnsmasqArgs, hostsFile, ipv4Subnet, pruneLeases } from "./dhcp-config.js";

const paths = dhcpPaths("/var/lib/nimbus/dhcp/net1");

describe("dnsmasqArgs", () => {
  it("renders a network with a gateway", () => {
    const args = dnsmasqArgs(
      { bridge: "nbr-net1", dhcpServerIp: "10.0.0.2", prefixLength: 24, gateway: "10.0.0.1", mtu: 1450 },
      paths,
    );
    expect(args).toEqual([
      "--conf-file=",
      "--no-hosts",
      "--no-resolv",
      "--port=0",
      "--bind-interfaces",
      "--interface=nbr-net1",
      "--except-interface=lo",
      "--pid-file=/var/lib/nimbus/dhcp/net1/pid",
      "--dhcp-leasefile=/var/lib/nimbus/dhcp/net1/leases",
      "--dhcp-hostsfile=/var/lib/nimbus/dhcp/net1/hosts",
      "--dhcp-range=10.0.0.0,static,255.255.255.0,24h",
      "--dhcp-option=3,10.0.0.1",
      "--dhcp-option-force=26,1450",
      "--log-facility=/var/lib/nimbus/dhcp/net1/dnsmasq.log",
    ]);
  });

  it("sends no router without a gateway, and logs DHCP when asked", () => {
    const args = dnsmasqArgs(
      { bridge: "b", dhcpServerIp: "172.16.5.130", prefixLength: 25, gateway: null, mtu: 1500, leaseTime: "infinite", logDhcp: true },
      paths,
    );
    expect(args).toContain("--dhcp-range=172.16.5.128,static,255.255.255.128,infinite");
    expect(args).toContain("--dhcp-option=3");
    expect(args.at(-1)).toBe("--log-dhcp");
  });

  it("refuses non-IPv4 subnets", () => {
    expect(ipv4Subnet("192.168.1.77", 20)).toEqual({ network: "192.168.0.0", netmask: "255.255.240.0" });
    expect(() => ipv4Subnet("fd00::1", 64)).toThrow("not an IPv4 CIDR");
    expect(() => ipv4Subnet("10.0.0.1", 33)).toThrow();
  });
});

describe("hostsFile", () => {
  it("lists mac,ip sorted", () => {
    expect(
      hostsFile([
        { mac: "FA:16:3E:00:00:02", ip: "10.0.0.12" },
        { mac: "fa:16:3e:00:00:01", ip: "10.0.0.11" },
      ]),
    ).toBe("fa:16:3e:00:00:01,10.0.0.11\nfa:16:3e:00:00:02,10.0.0.12\n");
    expect(hostsFile([])).toBe("");
  });
});

describe("pruneLeases", () => {
  it("drops the leases of a MAC or an IP", () => {
    const leases = [
      "1700000000 fa:16:3e:00:00:01 10.0.0.11 * 01:fa:16:3e:00:00:01",
      "1700000000 fa:16:3e:00:00:02 10.0.0.12 host2 *",
      "1700000000 fa:16:3e:00:00:03 10.0.0.13 * *",
      "",
    ].join("\n");
    expect(pruneLeases(leases, "FA:16:3E:00:00:01", "10.0.0.13")).toBe(
      "1700000000 fa:16:3e:00:00:02 10.0.0.12 host2 *\n",
    );
  });
});
