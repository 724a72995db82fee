import { describe, expect, it } from "vitest";
import { fakeDaemon } from "./fake-daemon.js";

const image = { id: "img", checksum: "0".repeat(32), size: 1, diskFormat: "qcow2", url: "http://api/internal/images/img/file" };
const diskUrl = "http://api/internal/migrations/m1/disk";
const arrival = { serverId: "s1", name: "vm", vcpus: 1, memoryMb: 512, diskGb: 1, ports: [], disk: { url: diskUrl, checksum: "1".repeat(32) }, powerOn: true };

function host() {
  const h = fakeDaemon();
  return { ...h, domain: () => h.compute.domains.get("nimbus-s1") };
}

async function source() {
  const h = host();
  await h.send("server.create", { serverId: "s1", name: "vm", vcpus: 1, memoryMb: 512, diskGb: 1, ports: [], image });
  return h;
}

describe("cold migration on the hosts", () => {
  it("source: powers off and uploads the disk, keeping the disk and reporting no state (the edge moves on)", async () => {
    const h = await source();
    const before = h.states().length;
    await h.send("server.migrateOut", { serverId: "s1", diskUrl });
    expect(h.storage.snapshots).toEqual([{ serverId: "s1", uploadUrl: diskUrl }]);
    expect(h.compute.calls.filter((c) => c.method === "stop" || c.method === "destroy").map((c) => c.method)).toEqual(["stop", "destroy"]);
    expect(h.domain()).toBeUndefined();
    expect(await h.storage.listServers()).toEqual(["s1"]);
    expect(h.states().length).toBe(before);
    const { disk: _disk, ...guest } = arrival;
    await h.send("server.migrateResume", guest);
    expect(h.domain()).toMatchObject({ state: "running", spec: { diskPath: "/fake/instances/s1/disk", memoryMb: 512 } });
    expect(h.states().at(-1)).toMatchObject({ vmState: "active" });
  });

  it("source: a failed upload restarts the guest, drops the staged disk and reports the fault", async () => {
    const h = await source();
    h.storage.failNextSnapshot(new Error("upload failed: 500"));
    await h.send("server.migrateOut", { serverId: "s1", diskUrl });
    expect(h.domain()?.state).toBe("running");
    expect(h.storage.abandoned).toEqual([diskUrl]);
    expect(h.states().at(-1)).toMatchObject({ vmState: "active", fault: { message: expect.stringMatching(/upload failed: 500/) } });
  });

  it("destination: imports the disk, boots the guest, drops the staged copy and reports resized", async () => {
    const h = host();
    await h.send("server.migrateIn", arrival);
    expect(h.storage.imported.get("s1")).toBe(diskUrl);
    expect(h.domain()?.state).toBe("running");
    expect(h.storage.abandoned).toEqual([diskUrl]);
    expect(h.states().at(-1)).toMatchObject({ vmState: "resized", powerState: 1 });
    await h.send("server.migrateDrop", { serverId: "s1", ports: [] });
    expect(h.domain()).toBeUndefined();
    expect(await h.storage.listServers()).toEqual([]);
  });

  it("destination: a stopped server arrives stopped; a failed import leaves nothing and reports error", async () => {
    const stopped = host();
    await stopped.send("server.migrateIn", { ...arrival, powerOn: false });
    expect(stopped.domain()?.state).toBe("shutoff");
    const h = host();
    h.storage.failNextImport();
    await h.send("server.migrateIn", arrival);
    expect(h.domain()).toBeUndefined();
    expect(await h.storage.listServers()).toEqual([]);
    expect(h.states().at(-1)).toMatchObject({ vmState: "error", fault: { message: expect.stringMatching(/checksum mismatch/) } });
  });
});

describe("rescue on the host", () => {
  const guest = { serverId: "s1", name: "vm", vcpus: 1, memoryMb: 512, diskGb: 1, ports: [] };
  it("boots the rescue image with the server's disk second, then back on its own disk", async () => {
    const h = await source();
    await h.send("server.rescue", { ...guest, image: { ...image, id: "rescue-img" }, powerOn: true });
    expect(h.domain()).toMatchObject({ state: "running", spec: { diskPath: "/fake/instances/s1/disk.rescue", extraDisks: [{ path: "/fake/instances/s1/disk" }] } });
    expect(h.storage.rescueDisks.get("s1")).toBe("/fake/images/rescue-img");
    expect(h.states().at(-1)).toMatchObject({ vmState: "rescued" });
    await h.send("server.unrescue", { ...guest, powerOn: true });
    expect(h.domain()).toMatchObject({ state: "running", spec: { diskPath: "/fake/instances/s1/disk" } });
    expect(h.domain()!.spec.extraDisks).toBeUndefined();
    expect(h.storage.rescueDisks.size).toBe(0);
    expect(h.states().at(-1)).toMatchObject({ vmState: "active" });
  });

  it("a failed rescue defines the guest again as it was and reports the fault", async () => {
    const h = await source();
    h.storage.failNextImage();
    await h.send("server.rescue", { ...guest, image, powerOn: true });
    expect(h.domain()).toMatchObject({ state: "running", spec: { diskPath: "/fake/instances/s1/disk" } });
    expect(h.states().at(-1)).toMatchObject({ vmState: "active", fault: { message: expect.stringMatching(/Rescue failed/) } });
  });
});
