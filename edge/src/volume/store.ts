import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import type { DbOrTx } from "../db/client.js";
import { hosts, volumeAttachments, volumePools, volumeQuotas, volumes, volumeSnapshots, volumeTypes } from "../db/schema.js";
import type { AuthContext } from "../lib/context.js";
import { ApiError } from "../lib/errors.js";
import { effectiveLimits, type Limits, type Usage } from "./quota.js";
import type { PoolCapacity } from "./placement.js";

export type VolumeRow = typeof volumes.$inferSelect;
export type SnapshotRow = typeof volumeSnapshots.$inferSelect;
export type AttachmentRow = typeof volumeAttachments.$inferSelect;

/** Cinder's default volume type, created on first use (seed in code, not in SQL). */
export const DEFAULT_TYPE = { id: "a8c4e3ee-6f5e-4b6f-9d3e-0d6c1b2a7f10", name: "__DEFAULT__", description: "Default Volume Type" } as const;

export const nowIso = () => new Date().toISOString();

type Scope = Pick<AuthContext, "isAdmin" | "projectId">;

/** The volume as the caller may see it (own project; admins all), or 404. */
export async function findVolume(db: DbOrTx, auth: Scope, id: string): Promise<VolumeRow> {
  const scope = auth.isAdmin ? undefined : eq(volumes.projectId, auth.projectId ?? "");
  const row = (await db.select().from(volumes).where(and(eq(volumes.id, id), isNull(volumes.deletedAt), scope)))[0];
  if (!row) throw new ApiError(404, `Volume ${id} could not be found.`);
  return row;
}

export async function findSnapshot(db: DbOrTx, auth: Scope, id: string): Promise<SnapshotRow> {
  const scope = auth.isAdmin ? undefined : eq(volumeSnapshots.projectId, auth.projectId ?? "");
  const row = (await db.select().from(volumeSnapshots).where(and(eq(volumeSnapshots.id, id), isNull(volumeSnapshots.deletedAt), scope)))[0];
  if (!row) throw new ApiError(404, `Snapshot ${id} could not be found.`);
  return row;
}

export async function attachmentsOf(db: DbOrTx, volumeIds: string[]): Promise<Map<string, AttachmentRow[]>> {
  const out = new Map<string, AttachmentRow[]>();
  if (volumeIds.length === 0) return out;
  for (const a of await db.select().from(volumeAttachments).where(inArray(volumeAttachments.volumeId, volumeIds))) {
    out.set(a.volumeId, [...(out.get(a.volumeId) ?? []), a]);
  }
  return out;
}

export async function ensureDefaultType(db: DbOrTx) {
  await db.insert(volumeTypes).values(DEFAULT_TYPE).onConflictDoNothing();
  return (await db.select().from(volumeTypes).where(eq(volumeTypes.id, DEFAULT_TYPE.id)))[0]!;
}

export async function typeNames(db: DbOrTx): Promise<Map<string, string>> {
  return new Map((await db.select({ id: volumeTypes.id, name: volumeTypes.name }).from(volumeTypes)).map((t) => [t.id, t.name]));
}

/** A type by id or name, or 404 (VolumeTypeNotFound). */
export async function findType(db: DbOrTx, idOrName: string) {
  const rows = await db.select().from(volumeTypes).where(sql`${volumeTypes.id} = ${idOrName} or ${volumeTypes.name} = ${idOrName}`);
  if (!rows[0]) throw new ApiError(404, `Volume type ${idOrName} could not be found.`);
  return rows[0];
}

/** What a project holds now: live volumes, snapshots, and their gigabytes together (Cinder counts both). */
export async function usageOf(db: DbOrTx, projectId: string): Promise<Usage> {
  const [v] = await db.select({ n: sql<number>`count(*)`, gb: sql<number>`coalesce(sum(${volumes.size}), 0)` }).from(volumes)
    .where(and(eq(volumes.projectId, projectId), isNull(volumes.deletedAt)));
  const [s] = await db.select({ n: sql<number>`count(*)`, gb: sql<number>`coalesce(sum(${volumeSnapshots.size}), 0)` }).from(volumeSnapshots)
    .where(and(eq(volumeSnapshots.projectId, projectId), isNull(volumeSnapshots.deletedAt)));
  return { volumes: Number(v?.n ?? 0), snapshots: Number(s?.n ?? 0), gigabytes: Number(v?.gb ?? 0) + Number(s?.gb ?? 0) };
}

export async function limitsOf(db: DbOrTx, projectId: string): Promise<Limits> {
  return effectiveLimits(await db.select().from(volumeQuotas).where(eq(volumeQuotas.projectId, projectId)));
}

/** Every reported pool with what is already placed on it. */
export async function poolCapacities(db: DbOrTx): Promise<PoolCapacity[]> {
  const pools = await db.select().from(volumePools);
  const hostRows = await db.select().from(hosts);
  const vol = await db.select({ hostId: volumes.hostId, gb: sql<number>`coalesce(sum(${volumes.size}), 0)` }).from(volumes).where(isNull(volumes.deletedAt)).groupBy(volumes.hostId);
  const snap = await db.select({ hostId: volumeSnapshots.hostId, gb: sql<number>`coalesce(sum(${volumeSnapshots.size}), 0)` }).from(volumeSnapshots).where(isNull(volumeSnapshots.deletedAt)).groupBy(volumeSnapshots.hostId);
  return pools.flatMap((p) => {
    const h = hostRows.find((x) => x.id === p.hostId);
    if (!h) return [];
    const allocatedGb = Number(vol.find((x) => x.hostId === p.hostId)?.gb ?? 0) + Number(snap.find((x) => x.hostId === p.hostId)?.gb ?? 0);
    return [{ hostId: p.hostId, backend: p.backend, totalGb: p.totalGb, freeGb: p.freeGb, allocatedGb, online: h.online, enabled: h.enabled, lastSeenAt: h.lastSeenAt }];
  });
}
