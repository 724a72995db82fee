import { describe, expect, it } from "vitest";
import { makeEnvelope, type GuestConfig, type PortSpec } from "#shared";
import { HostDaemon } from "../daemon.js";
import { FakeComputeDriver } from "../drivers/compute/fake.js";
import { FakeNetworkDriver } from "../drivers/network/fake.js";
import { FakeStorageDriver } from "../drivers/storage/fake.js";
import { MemoryServerRecords } from "../server-records.js";
import { MemoryConfigDriveWriter } from "./writer.js";

const port: PortSpec = { portId: "p1", networkId: "n1", mac: "fa:16:3e:00:00:01", ip: "10.0.0.3", prefixLength: 24, gateway: "10.0.0.1", dhcpServerIp: "10.0.0.2", mtu: 1500 };
const guest = (configDrive: boolean): GuestConfig => ({
  configDrive, hostname: "vm", projectId: "p", availabilityZone: "nova", flavorName: "m1.tiny", imageId: "img", launchIndex: 0,
  meta: {}, publicKeys: [{ name: "k", type: "ssh", data: "ssh-ed25519 AAAA" }], userData: null, dnsNameservers: [],
});
const payload = (g?: GuestConfig) => ({
  serverId: "s1", name: "VM", vcpus: 1, memoryMb: 512, diskGb: 1, ports: [port], guestConfig: g,
  image: { id: "img", checksum: "0".repeat(32), size: 1, diskFormat: "qcow2", url: "http://api/internal/images/img/file" },
});

function setup(forceConfigDrive = false) {
  const compute = new FakeComputeDriver();
  const configDrive = new MemoryConfigDriveWriter();
  const records = new MemoryServerRecords();
  const daemon = new HostDaemon({
    compute, storage: new FakeStorageDriver(), network: new FakeNetworkDriver(), records, namePrefix: "nimbus-", stopGraceSeconds: 1,
    configDrive, forceConfigDrive, emit: async () => undefined, reply: async () => undefined,
  });
  const send = (type: string, p: unknown) => daemon.handle(new TextEncoder().encode(JSON.stringify(makeEnvelope(type, p))));
  const spec = () => compute.domains.get("nimbus-s1")?.spec;
  return { compute, configDrive, records, send, spec };
}

describe("config drive on the host", () => {
  it("builds the drive when asked, attaches it, records the guest config and removes the drive on delete", async () => {
    const t = setup();
    await t.send("server.create", payload(guest(true)));
    const files = t.configDrive.drives.get("s1")!;
    expect(JSON.parse(files["openstack/latest/meta_data.json"] as string)).toMatchObject({ uuid: "s1", name: "VM", hostname: "vm", public_keys: { k: "ssh-ed25519 AAAA" } });
    expect(t.spec()?.configDrivePath).toBe("/fake/s1/disk.config");
    expect(await t.records.guest("s1")).toMatchObject({ name: "VM", hostname: "vm" });
    await t.send("server.delete", { serverId: "s1", ports: [port] });
    expect(t.configDrive.drives.size).toBe(0);
    expect(await t.records.guest("s1")).toBeNull();
  });

  it("gives none unless asked, or forced by the host", async () => {
    const t = setup();
    await t.send("server.create", payload(guest(false)));
    expect(t.configDrive.drives.size).toBe(0);
    expect(t.spec()?.configDrivePath).toBeUndefined();
    const forced = setup(true);
    await forced.send("server.create", payload(guest(false)));
    expect(forced.spec()?.configDrivePath).toBe("/fake/s1/disk.config");
    const legacy = setup(true);
    await legacy.send("server.create", payload()); // an edge that sends no guest config
    expect(legacy.spec()?.configDrivePath).toBeUndefined();
  });

  it("removes the drive when the spawn fails", async () => {
    const t = setup();
    t.compute.failNextSpawn(new Error("boom"));
    await t.send("server.create", payload(guest(true)));
    expect(t.compute.domains.size).toBe(0);
    expect(t.configDrive.drives.size).toBe(0);
  });
});
