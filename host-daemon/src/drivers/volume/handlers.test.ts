import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeEnvelope, type Envelope } from "#shared";
import { HostDaemon } from "../../daemon.js";
import { MemoryServerRecords } from "../../server-records.js";
import { FakeComputeDriver } from "../compute/fake.js";
import { FakeNetworkDriver } from "../network/fake.js";
import { FakeStorageDriver } from "../storage/fake.js";
import { FakeDiskAttacher, FakeVolumeDriver } from "./fake.js";

function setup() {
  const volume = new FakeVolumeDriver();
  const attacher = new FakeDiskAttacher();
  // Real directory: a volume-backed build makes the instance directory for its console log.
  const root = mkdtempSync(join(tmpdir(), "nimbus-volhandlers-"));
  const storage = new FakeStorageDriver(root);
  const events: Envelope[] = [];
  const replies: Array<{ status: string; data?: unknown; error?: string }> = [];
  const compute = new FakeComputeDriver();
  const daemon = new HostDaemon({
    compute, storage, network: new FakeNetworkDriver(), records: new MemoryServerRecords(), namePrefix: "nimbus-", stopGraceSeconds: 1,
    volume, attacher,
    emit: async (m) => { events.push(m); },
    reply: async (_t, msg) => { replies.push(msg as never); },
  });
  const send = (type: string, payload: unknown, id?: string) => {
    const env = makeEnvelope(type, payload, id);
    env.replyTo = "r";
    return daemon.handle(new TextEncoder().encode(JSON.stringify(env)));
  };
  const payloads = (type: string) => events.filter((e) => e.type === type).map((e) => e.payload);
  return { volume, attacher, compute, storage, daemon, events, replies, send, payloads, root };
}

describe("host daemon: volumes", () => {
  it("creates, extends, snapshots and deletes, reporting each outcome with its command id", async () => {
    const t = setup();
    await t.send("volume.create", { volumeId: "v1", sizeGb: 1, source: { kind: "empty" } }, "c1");
    await t.send("volume.extend", { volumeId: "v1", sizeGb: 2 }, "c2");
    await t.send("volume.snapshot", { volumeId: "v1", snapshotId: "s1" }, "c3");
    await t.send("volume.create", { volumeId: "v2", sizeGb: 2, source: { kind: "snapshot", snapshotId: "s1" } }, "c4");
    await t.send("volume.snapshot-delete", { snapshotId: "s1" }, "c5");
    await t.send("volume.delete", { volumeId: "v1" }, "c6");
    expect(t.payloads("volume.state")).toEqual([
      { volumeId: "v1", commandId: "c1", status: "available", sizeGb: 1 },
      { volumeId: "v1", commandId: "c2", status: "available", sizeGb: 2 },
      { volumeId: "v2", commandId: "c4", status: "available", sizeGb: 2 },
      { volumeId: "v1", commandId: "c6", status: "deleted" },
    ]);
    expect(t.payloads("volume.snapshot-state")).toEqual([
      { snapshotId: "s1", commandId: "c3", status: "available" },
      { snapshotId: "s1", commandId: "c5", status: "deleted" },
    ]);
    expect([...t.volume.volumes.keys()]).toEqual(["v2"]);
  });

  it("creates from an image through the host's image cache, in the image's declared format", async () => {
    const t = setup();
    const image = { id: "img", checksum: "0".repeat(32), size: 1, diskFormat: "raw", url: "http://api/internal/images/img/file" };
    await t.send("volume.create", { volumeId: "v1", sizeGb: 1, source: { kind: "image", image } }, "c1");
    expect(t.storage.images.has("img")).toBe(true);
    expect(t.volume.volumes.get("v1")!.source).toEqual({ kind: "file", path: `${t.root}/images/img`, format: "raw" });
  });

  it("reports a failure as error with the reason, and answers the error", async () => {
    const t = setup();
    t.volume.failNext(new Error("disk full"));
    await t.send("volume.create", { volumeId: "v1", sizeGb: 1, source: { kind: "empty" } }, "c1");
    expect(t.payloads("volume.state")).toEqual([{ volumeId: "v1", commandId: "c1", status: "error", sizeGb: 1, error: "disk full" }]);
    expect(t.replies.at(-1)).toMatchObject({ status: "error", error: "disk full" });
  });

  it("hot-plugs the volume's file into the server's domain and unplugs it", async () => {
    const t = setup();
    await t.send("volume.create", { volumeId: "v1", sizeGb: 1, source: { kind: "empty" } });
    await t.send("volume.attach", { volumeId: "v1", serverId: "s1", device: "vdb", readonly: false });
    expect(t.attacher.disks.get("nimbus-s1")!.get("vdb")).toEqual({ path: "/fake/volumes/v1", format: "qcow2", device: "vdb", readonly: false, serial: "v1" });
    expect(t.replies.at(-1)).toMatchObject({ status: "ok", data: { device: "vdb" } });
    await t.send("volume.detach", { volumeId: "v1", serverId: "s1", device: "vdb" });
    expect(t.attacher.disks.get("nimbus-s1")!.size).toBe(0);
  });

  it("extends an attached volume live through the hypervisor, or the file when the guest is not running", async () => {
    const t = setup();
    await t.send("volume.create", { volumeId: "v1", sizeGb: 1, source: { kind: "empty" } });
    await t.send("volume.attach", { volumeId: "v1", serverId: "s1", device: "vdb", readonly: false });
    await t.send("volume.extend", { volumeId: "v1", sizeGb: 2, attachment: { serverId: "s1", device: "vdb" } }, "c1");
    expect(t.attacher.liveSizes.get("nimbus-s1/vdb")).toBe(2);
    expect(t.volume.volumes.get("v1")!.sizeGb).toBe(1); // QEMU grew the file, not qemu-img
    t.attacher.stopped.add("nimbus-s1");
    await t.send("volume.extend", { volumeId: "v1", sizeGb: 3, attachment: { serverId: "s1", device: "vdb" } }, "c2");
    expect(t.volume.volumes.get("v1")!.sizeGb).toBe(3);
    t.attacher.stopped.clear();
    await t.send("volume.extend", { volumeId: "v1", sizeGb: 4, attachment: { serverId: "s1", device: "vdc" } }, "c3");
    expect(t.payloads("volume.state").slice(1)).toEqual([
      { volumeId: "v1", commandId: "c1", status: "available", sizeGb: 2 },
      { volumeId: "v1", commandId: "c2", status: "available", sizeGb: 3 },
      { volumeId: "v1", commandId: "c3", status: "error", error: "nimbus-s1 has no disk vdc" },
    ]);
  });

  it("reports the pool with the inventory", async () => {
    const t = setup();
    await t.send("volume.create", { volumeId: "v1", sizeGb: 1, source: { kind: "empty" } });
    await t.daemon.sendInventory();
    expect(t.payloads("volume.inventory")).toEqual([{ backend: "fake", totalGb: 100, freeGb: 90, volumes: ["v1"], snapshots: [], attachments: { servers: [], disks: [] } }]);
  });

  it("reports which pool volumes each domain has plugged in, for the edge to reconcile", async () => {
    const t = setup();
    t.compute.domains.set("nimbus-s1", { spec: {} as never, state: "running" });
    t.compute.domains.set("nimbus-s2", { spec: {} as never, state: "shutoff" });
    await t.send("volume.create", { volumeId: "v1", sizeGb: 1, source: { kind: "empty" } });
    await t.send("volume.attach", { volumeId: "v1", serverId: "s1", device: "vdb", readonly: false });
    // A disk that is no pool volume (the root disk) is not reported.
    await t.attacher.attach("nimbus-s1", { path: "/instances/s1/disk", format: "qcow2", device: "vda", readonly: false, serial: "root" });
    await t.daemon.sendInventory();
    expect(t.payloads("volume.inventory").at(-1)).toMatchObject({
      volumes: ["v1"], attachments: { servers: ["s1", "s2"], disks: [{ serverId: "s1", volumeId: "v1", device: "vdb" }] },
    });
  });

  it("builds a server on a volume made for it, and deletes delete_on_termination volumes with it", async () => {
    const t = setup();
    const image = { id: "img", checksum: "0".repeat(32), size: 1, diskFormat: "qcow2", url: "http://api/internal/images/img/file" };
    const rootVolume = { volumeId: "root1", commandId: "vc1", create: { sizeGb: 2, source: { kind: "image", image } } };
    await t.send("server.create", { serverId: "s1", name: "vm", vcpus: 1, memoryMb: 512, diskGb: 0, ports: [], rootVolume }, "c1");
    expect(t.payloads("volume.state")).toEqual([{ volumeId: "root1", commandId: "vc1", status: "available", sizeGb: 2 }]);
    expect(t.events.filter((e) => e.type === "server.state").map((e) => (e.payload as { vmState: string }).vmState)).toEqual(["active"]);
    expect(t.volume.volumes.get("root1")).toEqual({ sizeGb: 2, source: { kind: "file", path: `${t.root}/images/img`, format: "qcow2" } });
    expect(t.storage.disks.size).toBe(0);
    await t.send("server.delete", { serverId: "s1", ports: [], deleteVolumes: ["root1"] }, "c2");
    expect(t.volume.volumes.has("root1")).toBe(false);
  });

  describe("a force snapshot of a volume in use", () => {
    const running = (t: ReturnType<typeof setup>, name: string) => t.compute.domains.set(name, { spec: {} as never, state: "running" });
    const pauses = (t: ReturnType<typeof setup>) => t.compute.calls.filter((c) => c.method === "pause" || c.method === "unpause").map((c) => `${c.method} ${String(c.args[0])}`);

    it("pauses the running guests around the copy and resumes them after, in order", async () => {
      const t = setup();
      running(t, "nimbus-s1");
      await t.send("volume.create", { volumeId: "v1", sizeGb: 1, source: { kind: "empty" } });
      const statesDuringCopy: Array<string | null> = [];
      const copy = t.volume.snapshot.bind(t.volume);
      t.volume.snapshot = async (v, s) => { statesDuringCopy.push(await t.compute.state("nimbus-s1")); await copy(v, s); };
      await t.send("volume.snapshot", { volumeId: "v1", snapshotId: "snap1", pauseServers: ["s1", "s2"] }, "c1");
      expect(statesDuringCopy).toEqual(["paused"]);
      expect(pauses(t)).toEqual(["pause nimbus-s1", "unpause nimbus-s1"]); // s2 has no running domain: left alone
      expect(await t.compute.state("nimbus-s1")).toBe("running");
      expect(t.payloads("volume.snapshot-state")).toEqual([{ snapshotId: "snap1", commandId: "c1", status: "available" }]);
    });

    it("resumes the guest when the copy fails, and reports the failure", async () => {
      const t = setup();
      running(t, "nimbus-s1");
      await t.send("volume.create", { volumeId: "v1", sizeGb: 1, source: { kind: "empty" } });
      t.volume.failNext(new Error("qemu-img failed"));
      await t.send("volume.snapshot", { volumeId: "v1", snapshotId: "snap1", pauseServers: ["s1"] }, "c1");
      expect(pauses(t)).toEqual(["pause nimbus-s1", "unpause nimbus-s1"]);
      expect(await t.compute.state("nimbus-s1")).toBe("running");
      expect(t.payloads("volume.snapshot-state")).toEqual([{ snapshotId: "snap1", commandId: "c1", status: "error", error: "qemu-img failed" }]);
      expect(t.replies.at(-1)).toMatchObject({ status: "error", error: "qemu-img failed" });
    });

    it("leaves a guest that was already paused paused", async () => {
      const t = setup();
      t.compute.domains.set("nimbus-s1", { spec: {} as never, state: "paused" });
      await t.send("volume.create", { volumeId: "v1", sizeGb: 1, source: { kind: "empty" } });
      await t.send("volume.snapshot", { volumeId: "v1", snapshotId: "snap1", pauseServers: ["s1"] }, "c1");
      expect(pauses(t)).toEqual([]);
      expect(await t.compute.state("nimbus-s1")).toBe("paused");
    });
  });
});
