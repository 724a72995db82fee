import { describe, expect, it } from "vitest";
import { fakeDaemon } from "./fake-daemon.js";

const build = (over: Partial<{ vcpus: number; memoryMb: number; diskGb: number; imageId: string }> = {}) => ({
  serverId: "s1", name: "vm", vcpus: over.vcpus ?? 1, memoryMb: over.memoryMb ?? 512, diskGb: over.diskGb ?? 1, ports: [],
  image: { id: over.imageId ?? "img", checksum: "0".repeat(32), size: 1, diskFormat: "qcow2", url: "http://api/internal/images/img/file" },
});

async function running() {
  const h = fakeDaemon();
  await h.send("server.create", build());
  return { compute: h.compute, storage: h.storage, send: h.send, lastState: () => h.states().at(-1)!, domain: () => h.compute.domains.get("nimbus-s1")! };
}

describe("host daemon lifecycle actions", () => {
  it("pauses, unpauses, suspends and resumes, reporting each state", async () => {
    const t = await running();
    await t.send("server.pause", { serverId: "s1" });
    expect(t.lastState()).toMatchObject({ vmState: "paused", powerState: 3 });
    await t.send("server.unpause", { serverId: "s1" });
    expect(t.lastState()).toMatchObject({ vmState: "active", powerState: 1 });
    await t.send("server.suspend", { serverId: "s1" });
    expect(t.lastState()).toMatchObject({ vmState: "suspended", powerState: 4 });
    await t.send("server.resume", { serverId: "s1" });
    expect(t.lastState()).toMatchObject({ vmState: "active" });
  });

  it("reports the real state when an action fails, so the task always ends", async () => {
    const t = await running();
    await t.send("server.unpause", { serverId: "s1" });
    expect(t.lastState()).toMatchObject({ vmState: "active", powerState: 1 });
  });

  it("resizes keeping the old disk, reverts to it, and confirms by dropping it", async () => {
    const t = await running();
    await t.send("server.resize", build({ vcpus: 2, memoryMb: 2048, diskGb: 20 }));
    expect(t.lastState()).toMatchObject({ vmState: "resized", powerState: 1 });
    expect(t.domain().spec).toMatchObject({ vcpus: 2, memoryMb: 2048 });
    expect(t.storage.disks.get("s1")).toBe(20);
    expect(t.storage.keptDisks.get("s1")).toBe(1);
    await t.send("server.revertResize", build());
    expect(t.lastState()).toMatchObject({ vmState: "active" });
    expect(t.domain().spec).toMatchObject({ vcpus: 1, memoryMb: 512 });
    expect(t.storage.disks.get("s1")).toBe(1);
    await t.send("server.resize", build({ diskGb: 5 }));
    await t.send("server.confirmResize", { serverId: "s1" });
    expect(t.lastState()).toMatchObject({ vmState: "active" });
    expect(t.storage.keptDisks.has("s1")).toBe(false);
    expect(t.storage.disks.get("s1")).toBe(5);
  });

  it("keeps a stopped server stopped through a resize", async () => {
    const t = await running();
    await t.send("server.stop", { serverId: "s1" });
    await t.send("server.resize", build({ diskGb: 5 }));
    expect(t.lastState()).toMatchObject({ vmState: "resized", powerState: 4 });
    expect(t.domain().state).toBe("shutoff");
  });

  it("puts the old disk back and restarts the guest when a resize fails", async () => {
    const t = await running();
    t.compute.failNextSpawn(new Error("no memory"));
    await t.send("server.resize", build({ vcpus: 2, diskGb: 5 }));
    expect(t.lastState()).toMatchObject({ vmState: "error", fault: { message: "no memory" } });
    expect(t.storage.disks.get("s1")).toBe(1);
    expect(t.domain().state).toBe("running");
  });

  it("rebuilds from the new image, keeping a stopped server stopped", async () => {
    const t = await running();
    await t.send("server.stop", { serverId: "s1" });
    await t.send("server.rebuild", build({ imageId: "img2" }));
    expect(t.storage.images.has("img2")).toBe(true);
    expect(t.lastState()).toMatchObject({ vmState: "stopped" });
  });
});
