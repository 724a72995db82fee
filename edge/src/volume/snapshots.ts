import { and, eq, isNull } from "drizzle-orm";
import { volumeAttachments, volumes, volumeSnapshots } from "../db/schema.js";
import type { AuthContext, Deps } from "../lib/context.js";
import { ApiError } from "../lib/errors.js";
import { createSnapshotBody, parseBool, updateSnapshotBody } from "./schemas.js";
import { canStartVolumeOp } from "./state.js";
import { findSnapshot, findVolume, nowIso, type SnapshotRow } from "./store.js";
import { reserveQuota } from "./volumes.js";

const bad = (msg: string) => new ApiError(400, msg);

/** A snapshot is a full copy in the volume's pool; `force` allows it from an in-use volume. */
export async function createSnapshot(deps: Deps, auth: AuthContext, body: unknown): Promise<SnapshotRow> {
  const raw = (body as { snapshot?: { volume_id?: unknown } } | null)?.snapshot;
  if (raw && (raw.volume_id === null || raw.volume_id === undefined)) throw new ApiError(404, "Volume None could not be found.");
  const { snapshot: req } = createSnapshotBody.parse(body);
  const force = req.force === undefined ? false : parseBool(req.force, "force");
  const v = await findVolume(deps.db, auth, req.volume_id).catch(() => { throw new ApiError(404, `Volume ${req.volume_id} could not be found.`); });
  if (!canStartVolumeOp(force ? "snapshot-force" : "snapshot", v.status)) throw bad(`Invalid volume: Volume ${v.id} status must be available${force ? " or in-use" : ""}, but current status is: ${v.status}.`);
  const id = crypto.randomUUID();
  const commandId = crypto.randomUUID();
  const row = await deps.db.transaction(async (tx) => {
    await reserveQuota(tx, auth.projectId!, { snapshots: 1, gigabytes: v.size });
    const [created] = await tx.insert(volumeSnapshots).values({
      id, volumeId: v.id, projectId: auth.projectId!, userId: auth.userId, name: req.name ?? req.display_name ?? null,
      description: req.description ?? req.display_description ?? null, size: v.size, hostId: v.hostId, metadata: req.metadata ?? {},
      status: v.hostId ? "creating" : "error", commandId: v.hostId ? commandId : null, errorReason: v.hostId ? null : "The volume is on no host.",
    }).returning();
    return created!;
  }, { behavior: "immediate" });
  if (!v.hostId) return row;
  // Guests using the volume are paused by the host around the copy, so the snapshot is consistent.
  const users = await deps.db.select({ serverId: volumeAttachments.serverId }).from(volumeAttachments).where(eq(volumeAttachments.volumeId, v.id));
  const pauseServers = users.map((u) => u.serverId);
  await deps.bus.cast(v.hostId, "volume.snapshot", { volumeId: v.id, snapshotId: id, ...(pauseServers.length > 0 ? { pauseServers } : {}) }, commandId);
  return row;
}

export async function updateSnapshot(deps: Deps, auth: AuthContext, id: string, body: unknown) {
  const { snapshot: req } = updateSnapshotBody.parse(body);
  const s = await findSnapshot(deps.db, auth, id);
  const name = req.name !== undefined ? req.name : req.display_name;
  const description = req.description !== undefined ? req.description : req.display_description;
  const changes = { ...(name !== undefined ? { name } : {}), ...(description !== undefined ? { description } : {}) };
  if (Object.keys(changes).length === 0) return s;
  const [row] = await deps.db.update(volumeSnapshots).set({ ...changes, updatedAt: nowIso() }).where(eq(volumeSnapshots.id, id)).returning();
  return row!;
}

/** Delete: refused while a volume is being made from it; otherwise the host removes the file. */
export async function deleteSnapshot(deps: Deps, auth: AuthContext, id: string) {
  const s = await findSnapshot(deps.db, auth, id);
  if (!["available", "error", "error_deleting"].includes(s.status)) throw bad(`Invalid snapshot: Snapshot status must be available or error, but current status is: ${s.status}.`);
  const building = await deps.db.select({ id: volumes.id }).from(volumes).where(and(eq(volumes.snapshotId, id), eq(volumes.status, "creating"), isNull(volumes.deletedAt)));
  if (building.length > 0) throw bad(`Invalid snapshot: Snapshot ${id} is the source of a volume being created.`);
  const commandId = crypto.randomUUID();
  const claimed = await deps.db.update(volumeSnapshots).set({ status: "deleting", commandId, updatedAt: nowIso() })
    .where(and(eq(volumeSnapshots.id, id), eq(volumeSnapshots.status, s.status))).returning();
  if (claimed.length === 0) throw bad(`Invalid snapshot: Snapshot ${id} changed status meanwhile.`);
  if (!s.hostId) return finalizeSnapshotDelete(deps, id);
  await deps.bus.cast(s.hostId, "volume.snapshot-delete", { snapshotId: id }, commandId);
}

/** Admin: deletes whatever the snapshot's status. */
export async function forceDeleteSnapshot(deps: Deps, auth: AuthContext, id: string) {
  const s = await findSnapshot(deps.db, auth, id);
  const commandId = crypto.randomUUID();
  await deps.db.update(volumeSnapshots).set({ status: "deleting", commandId, updatedAt: nowIso() }).where(eq(volumeSnapshots.id, s.id));
  if (!s.hostId) return finalizeSnapshotDelete(deps, id);
  await deps.bus.cast(s.hostId, "volume.snapshot-delete", { snapshotId: id }, commandId);
}

const SNAPSHOT_STATUSES = ["creating", "available", "deleting", "error", "error_deleting", "backing-up", "restoring", "unmanaging"];

/** os-reset_status (admin, any status) and os-update_snapshot_status (the owner, the moves Nova makes). */
export async function setSnapshotStatus(deps: Deps, auth: AuthContext, id: string, status: string, checked: boolean, progress?: string) {
  const s = await findSnapshot(deps.db, auth, id);
  if (!SNAPSHOT_STATUSES.includes(status)) throw bad(`Invalid input received: Must specify a valid status`);
  const allowed: Record<string, string[]> = { creating: ["creating", "available", "error"], deleting: ["deleting", "error_deleting"] };
  if (checked && !(allowed[s.status] ?? []).includes(status)) throw bad(`Invalid input received: Provided snapshot status ${status} is not allowed for snapshot with status ${s.status}.`);
  await deps.db.update(volumeSnapshots).set({ status, commandId: null, progress: progress ?? null, updatedAt: nowIso() }).where(eq(volumeSnapshots.id, s.id));
}

export async function finalizeSnapshotDelete(deps: Pick<Deps, "db">, id: string) {
  await deps.db.update(volumeSnapshots).set({ status: "deleted", deletedAt: nowIso(), commandId: null, updatedAt: nowIso() })
    .where(and(eq(volumeSnapshots.id, id), isNull(volumeSnapshots.deletedAt)));
}
