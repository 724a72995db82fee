import type { CommandPayload, EventPayload } from "#shared";
import type { StorageDriver } from "./drivers/storage/types.js";

export interface SnapshotDeps {
  storage: StorageDriver;
  progress: (p: EventPayload<"server.progress">) => Promise<void>;
  /** Reports the server's real state, which clears its task on the edge. */
  reportState: () => Promise<unknown>;
}

/**
 * Nova createImage on the host: task image_pending_upload while the disk chain is converted,
 * image_uploading while it goes to the edge, then the server's state clears the task. On failure
 * the edge is told to drop the queued image and the error goes back to the caller.
 */
export async function snapshotServer(d: SnapshotDeps, commandId: string, p: CommandPayload<"server.snapshot">) {
  try {
    await d.progress({ serverId: p.serverId, commandId, taskState: "image_pending_upload", progress: 25 });
    await d.storage.snapshotToImage(p.serverId, p.uploadUrl, () =>
      d.progress({ serverId: p.serverId, commandId, taskState: "image_uploading", progress: 50 }));
  } catch (err) {
    await d.storage.abandonImage(p.uploadUrl).catch(() => undefined);
    throw err;
  } finally {
    await d.reportState();
  }
  return { imageId: p.imageId };
}
