import { and, eq, isNull } from "drizzle-orm";
import type { VolumeSource } from "#shared";
import { hostImageUrl } from "../compute/commands.js";
import { volumeAttachments, volumes, volumeSnapshots } from "../db/schema.js";
import type { DbOrTx } from "../db/client.js";
import { findImage } from "../image/service.js";
import type { AuthContext, Deps } from "../lib/context.js";
import { ApiError } from "../lib/errors.js";
import { defaultPoolOptions, pickPool } from "./placement.js";
import { recordExtendAction } from "./server-actions.js";
import { checkQuota, type Delta } from "./quota.js";
import { createVolumeBody, updateVolumeBody } from "./schemas.js";
import { canStartVolumeOp, invalidStatusMessage, volumeRule, type VolumeOperation } from "./state.js";
import { ensureDefaultType, findSnapshot, findType, findVolume, limitsOf, nowIso, poolCapacities, usageOf, type VolumeRow } from "./store.js";

const GiB = 1024 ** 3;
const bad = (msg: string) => new ApiError(400, msg);

/** Checks the project's quota inside the caller's write transaction (so two requests cannot both take the last unit). */
export async function reserveQuota(tx: DbOrTx, projectId: string, delta: Delta) {
  const exceeded = checkQuota(await limitsOf(tx, projectId), await usageOf(tx, projectId), delta);
  if (exceeded) throw new ApiError(413, exceeded.message);
}

interface Resolved { size: number; source: VolumeSource; pinnedHost?: string; snapshotId?: string; sourceVolid?: string; imageId?: string; imageMetadata?: Record<string, string>; bootable: boolean }

async function resolveSource(deps: Deps, auth: AuthContext, req: ReturnType<typeof createVolumeBody.parse>["volume"], apiBase: string): Promise<Resolved> {
  const requested = req.size ?? undefined;
  if (req.snapshot_id) {
    const snap = await findSnapshot(deps.db, auth, req.snapshot_id);
    if (snap.status !== "available") throw bad(`Invalid snapshot: Originating snapshot status must be one of 'available' values`);
    const size = requested ?? snap.size;
    if (size < snap.size) throw bad(`Invalid input received: Volume size '${size}'GB cannot be smaller than the snapshot size ${snap.size}GB. They must be >= original snapshot size.`);
    const origin = (await deps.db.select().from(volumes).where(eq(volumes.id, snap.volumeId)))[0];
    return { size, source: { kind: "snapshot", snapshotId: snap.id }, pinnedHost: snap.hostId ?? undefined, snapshotId: snap.id, bootable: !!origin?.bootable };
  }
  if (req.source_volid) {
    const src = await findVolume(deps.db, auth, req.source_volid);
    if (!canStartVolumeOp("clone", src.status)) throw bad(`Invalid volume: Unable to clone volumes that are in the '${src.status}' state.`);
    const size = requested ?? src.size;
    if (size < src.size) throw bad(`Invalid input received: Volume size '${size}'GB cannot be smaller than original volume size ${src.size}GB. They must be >= original volume size.`);
    return { size, source: { kind: "volume", volumeId: src.id }, pinnedHost: src.hostId ?? undefined, sourceVolid: src.id, bootable: src.bootable, imageMetadata: src.imageMetadata ?? undefined };
  }
  if (requested === undefined) throw bad("Invalid input received: Size must be specified when creating an empty volume.");
  if (req.imageRef) {
    const img = await findImage(deps.db, auth, req.imageRef).catch(() => { throw bad(`Invalid image identifier or unable to access requested image.`); });
    if (img.status !== "active" || !img.checksum) throw bad(`Invalid image identifier or unable to access requested image.`);
    const needGb = Math.max(img.minDisk, Math.ceil((img.virtualSize ?? img.size ?? 0) / GiB));
    if (requested < needGb) throw bad(`Invalid input received: Image ${img.id} requires ${needGb}GB; the volume size ${requested}GB is too small.`);
    const meta: Record<string, string> = { image_id: img.id, checksum: img.checksum, disk_format: img.diskFormat ?? "", container_format: img.containerFormat ?? "", min_disk: String(img.minDisk), min_ram: String(img.minRam), size: String(img.size ?? 0) };
    if (img.name) meta.image_name = img.name;
    return {
      size: requested, imageId: img.id, imageMetadata: meta, bootable: true,
      source: { kind: "image", image: { id: img.id, checksum: img.checksum, size: img.size ?? 0, diskFormat: img.diskFormat ?? "raw", url: hostImageUrl(apiBase, img.id) } },
    };
  }
  return { size: requested, source: { kind: "empty" }, bootable: false };
}

/**
 * Cinder's create: validate, then in one write transaction check the quota, pick a pool and insert
 * the volume; the host gets volume.create and reports the outcome through ingest.
 */
export async function createVolume(deps: Deps, auth: AuthContext, body: unknown, apiBase: string): Promise<VolumeRow> {
  const { volume: req } = createVolumeBody.parse(body);
  if (req.availability_zone && req.availability_zone !== "nova") throw bad(`Invalid input received: Availability zone '${req.availability_zone}' is invalid.`);
  const r = await resolveSource(deps, auth, req, apiBase);
  const type = req.volume_type ? await findType(deps.db, req.volume_type) : await ensureDefaultType(deps.db);
  if (!type.isPublic && !auth.isAdmin) throw new ApiError(404, `Volume type ${req.volume_type} could not be found.`);
  const backend = type.extraSpecs.volume_backend_name;
  const id = crypto.randomUUID();
  const commandId = crypto.randomUUID();
  const row = await deps.db.transaction(async (tx) => {
    await reserveQuota(tx, auth.projectId!, { volumes: 1, gigabytes: r.size, size: r.size });
    const pool = pickPool(await poolCapacities(tx), { sizeGb: r.size, backend, hostId: r.pinnedHost }, defaultPoolOptions());
    const [created] = await tx.insert(volumes).values({
      id, projectId: auth.projectId!, userId: auth.userId, name: req.name ?? req.display_name ?? null, description: req.description ?? req.display_description ?? null,
      size: r.size, status: pool ? "creating" : "error", hostId: pool?.hostId ?? null, backend: pool?.backend ?? null, volumeTypeId: type.id,
      bootable: r.bootable, sourceVolid: r.sourceVolid ?? null, snapshotId: r.snapshotId ?? null, imageId: r.imageId ?? null, imageMetadata: r.imageMetadata ?? null,
      metadata: req.metadata ?? {}, commandId: pool ? commandId : null, errorReason: pool ? null : "No valid backend was found. No weighed backends available.",
    }).returning();
    return created!;
  }, { behavior: "immediate" });
  if (row.hostId) {
    try {
      await deps.bus.cast(row.hostId, "volume.create", { volumeId: id, sizeGb: r.size, source: r.source }, commandId);
    } catch (err) {
      await setStatus(deps.db, id, "error", `Failed to send the request to the host: ${String(err)}`);
    }
  }
  return row;
}

export async function setStatus(db: DbOrTx, id: string, status: string, errorReason: string | null = null) {
  await db.update(volumes).set({ status, errorReason, commandId: null, updatedAt: nowIso() }).where(eq(volumes.id, id));
}

/**
 * Compare-and-swap: moves the volume from one of the operation's start statuses to its transient
 * status; null when another request got there first or the status does not allow it.
 */
export async function claimVolume(db: DbOrTx, id: string, op: VolumeOperation, commandId: string | null, from?: readonly string[]) {
  const rule = volumeRule(op);
  const allowed = from ?? rule.from;
  const rows = await db.select({ status: volumes.status }).from(volumes).where(eq(volumes.id, id));
  const current = rows[0]?.status;
  if (!current || !allowed.includes(current)) return null;
  const updated = await db.update(volumes).set({ status: rule.to ?? current, commandId, updatedAt: nowIso() })
    .where(and(eq(volumes.id, id), eq(volumes.status, current), isNull(volumes.deletedAt))).returning();
  return updated[0] ?? null;
}

export async function updateVolume(deps: Deps, auth: AuthContext, id: string, body: unknown) {
  const { volume: req } = updateVolumeBody.parse(body);
  const v = await findVolume(deps.db, auth, id);
  const name = req.name !== undefined ? req.name : req.display_name;
  const description = req.description !== undefined ? req.description : req.display_description;
  const changes = {
    ...(name !== undefined ? { name } : {}),
    ...(description !== undefined ? { description } : {}),
    ...(req.metadata !== undefined ? { metadata: req.metadata } : {}),
  };
  if (Object.keys(changes).length === 0) return v;
  const [row] = await deps.db.update(volumes).set({ ...changes, updatedAt: nowIso() }).where(eq(volumes.id, v.id)).returning();
  return row!;
}

/** Delete: refused while attached or while snapshots depend on it; a volume no host holds goes at once. */
export async function deleteVolume(deps: Deps, auth: AuthContext, id: string, opts: { force?: boolean; cascade?: boolean } = {}) {
  const v = await findVolume(deps.db, auth, id);
  const attached = await deps.db.select().from(volumeAttachments).where(eq(volumeAttachments.volumeId, id));
  if (attached.length > 0 || (!opts.force && (v.status === "in-use" || v.status === "attaching"))) throw bad(`Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.`);
  const snaps = await deps.db.select().from(volumeSnapshots).where(and(eq(volumeSnapshots.volumeId, id), isNull(volumeSnapshots.deletedAt)));
  if (snaps.length > 0 && !opts.cascade) throw bad(`Invalid volume: Volume ${id} still has ${snaps.length} dependent snapshots.`);
  if (v.status === "deleting" && !opts.force) return;
  const commandId = crypto.randomUUID();
  const anyStatus = opts.force ? [v.status] : undefined;
  const claimed = await claimVolume(deps.db, id, "delete", commandId, anyStatus);
  if (!claimed) throw bad(invalidStatusMessage("delete", v.status));
  if (!v.hostId) return finalizeVolumeDelete(deps.db, id);
  for (const s of snaps) await deps.bus.cast(v.hostId, "volume.snapshot-delete", { snapshotId: s.id });
  await deps.bus.cast(v.hostId, "volume.delete", { volumeId: id }, commandId);
}

export async function finalizeVolumeDelete(db: DbOrTx, id: string) {
  await db.update(volumes).set({ status: "deleted", deletedAt: nowIso(), commandId: null, updatedAt: nowIso() }).where(and(eq(volumes.id, id), isNull(volumes.deletedAt)));
  await db.update(volumeSnapshots).set({ status: "deleted", deletedAt: nowIso() }).where(and(eq(volumeSnapshots.volumeId, id), isNull(volumeSnapshots.deletedAt)));
  await db.delete(volumeAttachments).where(eq(volumeAttachments.volumeId, id));
}

/**
 * os-extend: only larger, within quota; the host grows the file and reports the new size. With
 * `inUse` (microversion 3.42) an attached volume may grow too: the host resizes the disk under
 * the running guest, and the volume is in-use again once done.
 */
export async function extendVolume(deps: Deps, auth: AuthContext, id: string, newSize: number, opts: { inUse?: boolean; requestId?: string } = {}) {
  const op: VolumeOperation = opts.inUse ? "extend-attached" : "extend";
  const v = await findVolume(deps.db, auth, id);
  if (!canStartVolumeOp(op, v.status)) throw bad(invalidStatusMessage(op, v.status));
  if (newSize <= v.size) throw bad(`Invalid input received: New size for extend must be greater than current size. (current: ${v.size}, extended: ${newSize}).`);
  const commandId = crypto.randomUUID();
  const claimed = await deps.db.transaction(async (tx) => {
    await reserveQuota(tx, v.projectId, { gigabytes: newSize - v.size, size: newSize });
    return claimVolume(tx, id, op, commandId);
  }, { behavior: "immediate" });
  if (!claimed) throw bad(invalidStatusMessage(op, v.status));
  if (!v.hostId) return setStatus(deps.db, id, "error_extending", "The volume is on no host.");
  const [a] = await deps.db.select().from(volumeAttachments).where(eq(volumeAttachments.volumeId, id));
  const attachment = a ? { attachment: { serverId: a.serverId, device: a.device } } : {};
  if (a) await recordExtendAction(deps.db, { serverId: a.serverId, projectId: v.projectId, userId: auth.userId, requestId: opts.requestId ?? `req-${commandId}` });
  await deps.bus.cast(v.hostId, "volume.extend", { volumeId: id, sizeGb: newSize, ...attachment }, commandId);
}
