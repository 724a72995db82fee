import { describe, expect, it } from "vitest";
import { configDriveFiles, ec2MetaData, metaDataJson, netmaskOf, networkDataJson, sanitizeHostname, type GuestIdentity } from "./guest-config.js";

const guest: GuestIdentity = {
  serverId: "11111111-2222-3333-4444-555555555555",
  name: "My VM",
  ports: [{ portId: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", networkId: "n1", mac: "fa:16:3e:00:00:01", ip: "10.0.0.3", prefixLength: 24, gateway: "10.0.0.1", dhcpServerIp: "10.0.0.2", mtu: 1450 }],
  config: {
    configDrive: true, hostname: "my-vm", projectId: "p1", availabilityZone: "nova", flavorName: "m1.tiny", imageId: "img1", launchIndex: 0,
    meta: { role: "web" }, publicKeys: [{ name: "k", type: "ssh", data: "ssh-ed25519 AAAA k@x" }], userData: btoa("#!/bin/sh\n"), dnsNameservers: ["8.8.8.8"],
  },
};

describe("guest metadata documents", () => {
  it("builds Nova's meta_data.json", () => {
    expect(metaDataJson(guest)).toEqual({
      uuid: guest.serverId, meta: { role: "web" }, public_keys: { k: "ssh-ed25519 AAAA k@x" },
      keys: [{ name: "k", type: "ssh", data: "ssh-ed25519 AAAA k@x" }], hostname: "my-vm", name: "My VM",
      launch_index: 0, availability_zone: "nova", project_id: "p1", devices: [],
    });
  });

  it("builds network_data.json from the ports", () => {
    expect(networkDataJson(guest)).toEqual({
      links: [{ id: "tapaaaaaaaa-bb", vif_id: guest.ports[0].portId, type: "bridge", mtu: 1450, ethernet_mac_address: "fa:16:3e:00:00:01" }],
      networks: [{
        id: "network0", type: "ipv4", link: "tapaaaaaaaa-bb", ip_address: "10.0.0.3", netmask: "255.255.255.0",
        routes: [{ network: "0.0.0.0", netmask: "0.0.0.0", gateway: "10.0.0.1" }], network_id: "n1", services: [{ type: "dns", address: "8.8.8.8" }],
      }],
      services: [{ type: "dns", address: "8.8.8.8" }],
    });
    const noGw = networkDataJson({ ...guest, ports: [{ ...guest.ports[0], gateway: null }] });
    expect(noGw.networks[0].routes).toEqual([]);
  });

  it("builds EC2 meta-data", () => {
    const ec2 = ec2MetaData(guest);
    expect(ec2["instance-id"]).toBe("i-11111111");
    expect(ec2["local-ipv4"]).toBe("10.0.0.3");
    expect(ec2["public-keys"]).toEqual({ 0: { "openssh-key": "ssh-ed25519 AAAA k@x" } });
    expect(ec2.placement).toEqual({ "availability-zone": "nova" });
  });

  it("lays out the config drive as Nova does, user data decoded", () => {
    const files = configDriveFiles(guest);
    expect(Object.keys(files).sort()).toEqual([
      "ec2/latest/meta-data.json", "ec2/latest/user-data",
      "openstack/latest/meta_data.json", "openstack/latest/network_data.json", "openstack/latest/user_data",
      "openstack/latest/vendor_data.json", "openstack/latest/vendor_data2.json",
    ]);
    expect(new TextDecoder().decode(files["openstack/latest/user_data"] as Uint8Array)).toBe("#!/bin/sh\n");
    expect(JSON.parse(files["openstack/latest/meta_data.json"] as string).hostname).toBe("my-vm");
    expect(files["openstack/latest/vendor_data.json"]).toBe("{}");
    expect(Object.keys(configDriveFiles({ ...guest, config: { ...guest.config, userData: null } }))).not.toContain("openstack/latest/user_data");
  });

  it("sanitises hostnames and computes netmasks", () => {
    expect(sanitizeHostname("My VM_1")).toBe("my-vm-1");
    expect(sanitizeHostname("--a..b--")).toBe("a-b");
    expect(sanitizeHostname("!!!")).toBe("server");
    expect(sanitizeHostname("x".repeat(80))).toHaveLength(63);
    expect([0, 8, 24, 29, 32].map(netmaskOf)).toEqual(["0.0.0.0", "255.0.0.0", "255.255.255.0", "255.255.255.248", "255.255.255.255"]);
  });
});
