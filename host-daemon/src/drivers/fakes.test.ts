import { describe, expect, it } from "vitest";
import { FakeNetworkDriver } from "./network/fake.js";
import { FakeStorageDriver } from "./storage/fake.js";

const image = { id: "img", checksum: "x", size: 1, diskFormat: "qcow2", url: "http://g/img" };
const port = {
  portId: "p1", networkId: "n1", mac: "fa:16:3e:00:00:01", ip: "10.0.0.5", prefixLength: 24,
  gateway: null, dhcpServerIp: "10.0.0.2", mtu: 1500,
};

describe("FakeStorageDriver", () => {
  it("tracks disks and consoles, and fails on demand", async () => {
    const s = new FakeStorageDriver();
    s.failNextImage();
    await expect(s.ensureImage(image)).rejects.toThrow("checksum mismatch");
    const base = await s.ensureImage(image);
    expect(await s.createDisk("s1", base, 5)).toBe("/fake/instances/s1/disk");
    s.consoles.set("s1", "a\nb\nc\n");
    expect(await s.readConsole("s1", 2)).toBe("b\nc\n");
    expect(await s.readConsole("s1", null)).toBe("a\nb\nc\n");
    expect(await s.listServers()).toEqual(["s1"]);
    await s.deleteServerFiles("s1");
    expect(await s.listServers()).toEqual([]);
  });
});

describe("FakeNetworkDriver", () => {
  it("plugs and unplugs with the real device names", async () => {
    const n = new FakeNetworkDriver();
    n.failNextPlug();
    await expect(n.plugPort(port)).rejects.toThrow();
    expect(await n.plugPort(port)).toEqual({ bridge: "nbr-n1", tap: "tapp1" });
    expect(await n.listPorts()).toEqual(["p1"]);
    await n.unplugPort(port);
    await n.unplugPort(port);
    expect(await n.listPorts()).toEqual([]);
  });
});
