import { describe, expect, it } from "vitest";
import type { EventPayload } from "#shared";
import { FakeStorageDriver } from "./drivers/storage/fake.js";
import { snapshotServer } from "./snapshot.js";

function setup() {
  const storage = new FakeStorageDriver();
  const log: string[] = [];
  const deps = {
    storage,
    progress: async (p: EventPayload<"server.progress">) => void log.push(p.taskState),
    reportState: async () => void log.push("state"),
  };
  return { storage, log, deps };
}
const cmd = { serverId: "srv-1", imageId: "img-1", uploadUrl: "http://edge/internal/images/img-1/file" };

describe("host snapshot", () => {
  it("reports pending upload, then uploading, uploads, then the server's state", async () => {
    const { storage, log, deps } = setup();
    await storage.createDisk("srv-1", "/fake/images/base", 1);
    expect(await snapshotServer(deps, "c1", cmd)).toEqual({ imageId: "img-1" });
    expect(log).toEqual(["image_pending_upload", "image_uploading", "state"]);
    expect(storage.snapshots).toEqual([{ serverId: "srv-1", uploadUrl: cmd.uploadUrl }]);
    expect(storage.abandoned).toEqual([]);
  });

  it("on failure abandons the image, still reports the state (clearing the task) and rethrows", async () => {
    const { storage, log, deps } = setup();
    await storage.createDisk("srv-1", "/fake/images/base", 1);
    storage.failNextSnapshot();
    await expect(snapshotServer(deps, "c2", cmd)).rejects.toThrow("qemu-img convert failed");
    expect(storage.abandoned).toEqual([cmd.uploadUrl]);
    expect(log).toEqual(["image_pending_upload", "state"]);
  });
});
