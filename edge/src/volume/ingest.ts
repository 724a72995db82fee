import { and, eq, inArray, isNull, notInArray } from "drizzle-orm";
import { ATTACH_TIMEOUT_MS } from "./attach.js";
import { parseEvent, type EventPayload, type VolumeEventType } from "#shared";
import type { Bus } from "../bus/types.js";
import type { Db } from "../db/client.js";
import { settleInterrupted, syncAttachments } from "./host-sync.js";
import { finishExtendAction } from "./server-actions.js";
import { volumeAttachments, volumePools, volumes, volumeSnapshots } from "../db/schema.js";
import { settledStatus } from "./state.js";
import { nowIso } from "./store.js";
import { finalizeVolumeDelete } from "./volumes.js";

/** Volume events from host `hostId` (taken from the topic); results apply only to the command they answer. */
export async function ingestVolumeEvent(db: Db, hostId: string, type: VolumeEventType, payload: unknown, bus?: Bus): Promise<void> {
  switch (type) {
    case "volume.state": return volumeState(db, hostId, parseEvent("volume.state", payload));
    case "volume.snapshot-state": return snapshotState(db, hostId, parseEvent("volume.snapshot-state", payload));
    case "volume.inventory": return inventory(db, bus, hostId, parseEvent("volume.inventory", payload));
  }
}

async function volumeState(db: Db, hostId: string, p: EventPayload<"volume.state">) {
  const guard = and(eq(volumes.id, p.volumeId), eq(volumes.hostId, hostId), eq(volumes.commandId, p.commandId), isNull(volumes.deletedAt));
  const current = (await db.select().from(volumes).where(guard))[0];
  if (!current) return; // a newer command owns the volume, or it is gone
  if (p.status === "deleted") return finalizeVolumeDelete(db, p.volumeId);
  const [attachment] = await db.select().from(volumeAttachments).where(eq(volumeAttachments.volumeId, p.volumeId));
  const attached = !!attachment;
  if (attachment && current.status === "extending") await finishExtendAction(db, attachment.serverId, p.status === "error" ? (p.error ?? "The host failed the operation.") : undefined);
  const settled = settledStatus(current.status, p.status === "available" ? "ok" : "error");
  const status = settled === "available" && attached ? "in-use" : settled;
  await db.update(volumes).set({
    status, commandId: null, updatedAt: nowIso(), errorReason: p.status === "error" ? (p.error ?? "The host failed the operation.") : null,
    ...(p.status === "available" && p.sizeGb ? { size: p.sizeGb } : {}),
  }).where(guard);
}

async function snapshotState(db: Db, hostId: string, p: EventPayload<"volume.snapshot-state">) {
  const guard = and(eq(volumeSnapshots.id, p.snapshotId), eq(volumeSnapshots.hostId, hostId), eq(volumeSnapshots.commandId, p.commandId), isNull(volumeSnapshots.deletedAt));
  const current = (await db.select().from(volumeSnapshots).where(guard))[0];
  if (!current) return;
  if (p.status === "deleted") {
    await db.update(volumeSnapshots).set({ status: "deleted", deletedAt: nowIso(), commandId: null, updatedAt: nowIso() }).where(guard);
    return;
  }
  const status = p.status === "available" ? "available" : current.status === "deleting" ? "error_deleting" : "error";
  await db.update(volumeSnapshots).set({ status, commandId: null, errorReason: p.error ?? null, updatedAt: nowIso() }).where(guard);
}

/**
 * On (re)connect the host reports its pool and what it holds: capacity is recorded for placement;
 * settled volumes and snapshots whose file is gone go to error; deletes whose file is gone finish.
 * Operations still in flight are left alone: their command is queued for the host and will answer;
 * attaches and detaches whose edge request is gone are settled, and attachments are matched to the
 * disks the host really has plugged in (host-sync.ts).
 */
async function inventory(db: Db, bus: Bus | undefined, hostId: string, p: EventPayload<"volume.inventory">) {
  await db.insert(volumePools).values({ hostId, backend: p.backend, totalGb: p.totalGb, freeGb: p.freeGb })
    .onConflictDoUpdate({ target: volumePools.hostId, set: { backend: p.backend, totalGb: p.totalGb, freeGb: p.freeGb, updatedAt: nowIso() } });
  const missing = (ids: string[]) => (ids.length ? notInArray(volumes.id, ids) : undefined);
  const gone = await db.select().from(volumes).where(and(eq(volumes.hostId, hostId), isNull(volumes.deletedAt), missing(p.volumes)));
  for (const v of gone) {
    if (v.status === "deleting") await finalizeVolumeDelete(db, v.id);
    else if (!["creating", "error"].includes(v.status)) {
      await db.update(volumes).set({ status: "error", errorReason: "The volume's file is gone from its host.", commandId: null, updatedAt: nowIso() }).where(eq(volumes.id, v.id));
    }
  }
  const snapGone = await db.select().from(volumeSnapshots).where(and(eq(volumeSnapshots.hostId, hostId), isNull(volumeSnapshots.deletedAt),
    p.snapshots.length ? notInArray(volumeSnapshots.id, p.snapshots) : undefined));
  const finished = snapGone.filter((s) => s.status === "deleting").map((s) => s.id);
  if (finished.length) await db.update(volumeSnapshots).set({ status: "deleted", deletedAt: nowIso(), commandId: null }).where(inArray(volumeSnapshots.id, finished));
  const lost = snapGone.filter((s) => s.status === "available").map((s) => s.id);
  if (lost.length) await db.update(volumeSnapshots).set({ status: "error", errorReason: "The snapshot's file is gone from its host." }).where(inArray(volumeSnapshots.id, lost));
  await settleInterrupted(db, hostId, "its edge request ended", new Date(Date.now() - ATTACH_TIMEOUT_MS).toISOString());
  if (p.attachments) await syncAttachments(db, bus, hostId, p.attachments);
}
