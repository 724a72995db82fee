import { and, eq, inArray, isNull, ne, or } from "drizzle-orm";
import { powerStates, type CommandPayload, type EventPayload } from "#shared";
import type { Bus } from "../../bus/types.js";
import type { Db, DbOrTx } from "../../db/client.js";
import { images, ports, serverMigrations, servers, volumeAttachments } from "../../db/schema.js";
import type { BlobStore } from "../../image/blob-store.js";
import { ApiError } from "../../lib/errors.js";
import { syncFirewalls } from "../../network/firewall-sync.js";
import { portSpecs } from "../../network/ports.js";
import { rootVolumeOf } from "../../volume/boot.js";
import { groupOf } from "../evacuate.js";
import { extraSpecsOf } from "../flavor-manage.js";
import { guestConfigFor } from "../guest-config.js";
import { hostFacts, placementOptions } from "../host-facts.js";
import { selectHost } from "../host-filters.js";
import { assertUnlocked } from "../server-extras.js";
import { portIdsOf } from "../server-ports.js";
import { findServer } from "../servers.js";
import { canStart } from "../state.js";
import { conflictFor, releaseTask, type Caller } from "./host-action.js";
import { addActionEvent, finishEvents, recordAction } from "./instance-actions.js";

type ServerRow = (typeof servers)["$inferSelect"];
type MigrationRow = (typeof serverMigrations)["$inferSelect"];

/** Migration statuses during which the server holds resources on both hosts. */
export const OPEN_MIGRATION = ["pre-migrating", "migrating"];
const nowIso = () => new Date().toISOString();
/** Where the migrating disk is staged on the edge: hosts never reach each other. */
export const migrationBlobKey = (migrationId: string) => `migration-${migrationId}`;
export const migrationDiskUrl = (apiBase: string, migrationId: string) => `${apiBase}/internal/migrations/${migrationId}/disk`;
const setStatus = (db: DbOrTx, id: string, status: string) => db.update(serverMigrations).set({ status, updatedAt: nowIso() }).where(eq(serverMigrations.id, id));
const serverPorts = async (db: DbOrTx, serverId: string) => portSpecs(db, await portIdsOf(db, serverId));
const wasOn = (s: ServerRow) => s.powerState === powerStates.RUNNING || s.powerState === powerStates.PAUSED;

/**
 * Servers whose disks live outside the host's instance directory (a root volume, attached volumes)
 * are refused by actions that define the guest again from scratch: hot-plugged volumes would be lost.
 */
export async function assertNoVolumes(db: DbOrTx, s: ServerRow, action: string) {
  const attached = await db.select({ id: volumeAttachments.volumeId }).from(volumeAttachments).where(eq(volumeAttachments.serverId, s.id));
  if (attached.length) throw new ApiError(409, `Cannot '${action}' instance ${s.id}: it has volumes attached; Nimbus does this for servers without volumes only.`, "conflictingRequest");
}

/** Picks another host for the server with the create's filters (group, zone, flavor, image); null if none fits. */
async function destinationFor(tx: DbOrTx, s: ServerRow, config: Caller["deps"]["config"]) {
  const image = (await tx.select({ properties: images.properties }).from(images).where(eq(images.id, s.imageId)))[0];
  const facts = (await hostFacts(tx)).filter((h) => h.id !== s.hostId);
  return selectHost(facts, {
    resources: { vcpus: s.vcpus, memoryMb: s.memoryMb, diskGb: s.diskGb }, availabilityZone: s.availabilityZone ?? undefined,
    group: await groupOf(tx, s.id), flavorExtraSpecs: await extraSpecsOf(tx, s.flavorId), imageProperties: image?.properties ?? {},
  }, placementOptions(config));
}

/**
 * Nova's cold migrate (admin): a resize to the same flavor on another host. The scheduler claims the
 * destination in the same write transaction as the task (the migration row holds the claim); the
 * source powers off and uploads its disk to the edge, which sends it on (see migrationDiskUploaded).
 */
export async function migrateServer(who: Caller, id: string, apiBase: string) {
  const { db, bus } = who.deps;
  if (!who.auth.isAdmin) throw new ApiError(403, "Policy doesn't allow os_compute_api:os-migrate-server:migrate to be performed.", "forbidden");
  const s = await findServer(db, who.auth, id);
  await assertUnlocked(db, who.auth, s.id);
  if (!canStart("resize", s.vmState, s.taskState) || !s.hostId) throw conflictFor("migrate", id, s.vmState, s.taskState);
  if (await rootVolumeOf(db, s.id, apiBase)) throw new ApiError(409, `Instance ${s.id} boots from a volume; Nimbus migrates image-backed servers only.`, "conflictingRequest");
  await assertNoVolumes(db, s, "migrate");
  const commandId = crypto.randomUUID();
  const migrationId = crypto.randomUUID();
  const source = s.hostId;
  await db.transaction(async (tx) => {
    const dest = await destinationFor(tx, s, who.deps.config);
    if (!dest) throw new ApiError(400, "No valid host was found. There are not enough hosts available.", "badRequest");
    const [row] = await tx.update(servers).set({ taskState: "resize_prep", commandId, progress: 0, updatedAt: nowIso() })
      .where(and(eq(servers.id, s.id), eq(servers.hostId, source), isNull(servers.deletedAt), isNull(servers.taskState), inArray(servers.vmState, ["active", "stopped"]))).returning();
    if (!row) throw conflictFor("migrate", id, s.vmState, s.taskState);
    await tx.insert(serverMigrations).values({
      id: migrationId, serverId: s.id, kind: "migration", status: "pre-migrating", sourceHostId: source, destHostId: dest.id, oldFlavorId: s.flavorId, newFlavorId: s.flavorId,
    });
  }, { behavior: "immediate" });
  await recordAction(db, { serverId: s.id, projectId: s.projectId, action: "migrate", requestId: who.requestId, userId: who.auth.userId, event: "compute_prep_resize" });
  try {
    await bus.cast(source, "server.migrateOut", { serverId: s.id, diskUrl: migrationDiskUrl(apiBase, migrationId) }, commandId);
  } catch (err) {
    await setStatus(db, migrationId, "error");
    await releaseTask(db, s.id, commandId, String(err));
    throw new ApiError(500, "The migrate request could not be sent to the host.");
  }
}

/** The migration a host may read or write the staged disk of; 404 to any other host. */
export async function migrationForHost(db: DbOrTx, hostId: string, migrationId: string, role: "source" | "dest" | "either", statuses = OPEN_MIGRATION) {
  const m = (await db.select().from(serverMigrations).where(and(eq(serverMigrations.id, migrationId), eq(serverMigrations.kind, "migration"), inArray(serverMigrations.status, statuses))))[0];
  const mine = m && (role === "source" ? m.sourceHostId === hostId : role === "dest" ? m.destHostId === hostId : m.sourceHostId === hostId || m.destHostId === hostId);
  if (!m || !mine) throw new ApiError(404, `No migration ${migrationId} for this host.`);
  return m;
}

/** What a host needs to define the guest on a disk it has (the image is not needed: it may be gone). */
export async function guestCommand(db: DbOrTx, s: ServerRow): Promise<CommandPayload<"server.migrateResume">> {
  const p = await serverPorts(db, s.id);
  return { serverId: s.id, name: s.name, vcpus: s.vcpus, memoryMb: s.memoryMb, diskGb: s.diskGb, ports: p, guestConfig: await guestConfigFor(db, s, p), powerOn: wasOn(s) };
}

/**
 * The source host has uploaded the disk (PUT /internal/migrations/{id}/disk): the server moves to
 * the destination in one transaction (host, ports; both claims stay until confirm or revert) and
 * the destination is told to fetch the disk and define the guest.
 */
export async function migrationDiskUploaded(deps: { db: Db; bus: Bus; blobs: BlobStore }, source: string, migrationId: string, body: ReadableStream<Uint8Array>, apiBase: string) {
  const { db, bus, blobs } = deps;
  const m = await migrationForHost(db, source, migrationId, "source", ["pre-migrating"]);
  const digest = await blobs.put(migrationBlobKey(m.id), body);
  const commandId = crypto.randomUUID();
  const moved = await db.transaction(async (tx) => {
    const [row] = await tx.update(servers).set({ hostId: m.destHostId, taskState: "resize_finish", commandId, progress: 60, updatedAt: nowIso() })
      .where(and(eq(servers.id, m.serverId), eq(servers.hostId, source), isNull(servers.deletedAt), inArray(servers.taskState, ["resize_prep", "resize_migrating", "resize_migrated"]))).returning();
    if (!row) return null;
    await tx.update(ports).set({ hostId: m.destHostId }).where(eq(ports.deviceId, m.serverId));
    await setStatus(tx, m.id, "migrating");
    return row;
  }, { behavior: "immediate" });
  if (!moved) {
    await blobs.delete(migrationBlobKey(m.id));
    await setStatus(db, m.id, "error");
    throw new ApiError(409, `Instance ${m.serverId} is no longer migrating.`);
  }
  await finishEvents(db, m.serverId, undefined, source); // the source's step is done
  await addActionEvent(db, m.serverId, "migrate", "compute_finish_resize");
  try {
    await bus.cast(m.destHostId, "server.migrateIn", { ...(await guestCommand(db, moved)), disk: { url: migrationDiskUrl(apiBase, m.id), checksum: digest.md5 } }, commandId);
  } catch (err) {
    await blobs.delete(migrationBlobKey(m.id));
    await moveBack(deps, m, `The disk could not be sent on to ${m.destHostId}: ${String(err)}`);
    return;
  }
  await syncFirewalls(db, bus, [m.destHostId]);
}

/**
 * The migration is undone (revert, or the destination failed): the server goes back to its source,
 * which starts the kept guest again; the destination drops whatever it has. `reason` set = failure.
 */
async function moveBack(deps: { db: Db; bus: Bus }, m: MigrationRow, reason?: string) {
  // A revert starts from VERIFY_RESIZE with no task; a failure interrupts the migration's own task.
  const guard = reason ? or(isNull(servers.taskState), ne(servers.taskState, "deleting")) : and(eq(servers.vmState, "resized"), isNull(servers.taskState));
  const { db, bus } = deps;
  const commandId = crypto.randomUUID();
  const row = await db.transaction(async (tx) => {
    const [r] = await tx.update(servers).set({ hostId: m.sourceHostId, taskState: "resize_reverting", commandId, updatedAt: nowIso() })
      .where(and(eq(servers.id, m.serverId), isNull(servers.deletedAt), guard)).returning();
    if (!r) return null;
    await tx.update(ports).set({ hostId: m.sourceHostId }).where(eq(ports.deviceId, m.serverId));
    await setStatus(tx, m.id, reason ? "error" : "reverted");
    return r;
  }, { behavior: "immediate" });
  if (!row) return null;
  const resume = await guestCommand(db, row);
  // The destination lets go first, as in Nova (a failed arrival has already undone itself). An
  // unreachable destination does not block the revert: its orphan is dropped when it reconnects.
  const drop = { serverId: m.serverId, ports: resume.ports };
  await (reason ? bus.cast(m.destHostId, "server.migrateDrop", drop) : bus.call(m.destHostId, "server.migrateDrop", drop, 60_000)).catch(() => undefined);
  try {
    await bus.cast(m.sourceHostId, "server.migrateResume", resume, commandId);
  } catch (err) {
    await releaseTask(db, m.serverId, commandId, String(err));
  }
  await syncFirewalls(db, bus, [m.sourceHostId, m.destHostId]);
  return row;
}

/** The server's migration awaiting confirm or revert, if it moved between hosts. */
export async function openColdMigration(db: DbOrTx, serverId: string): Promise<MigrationRow | null> {
  const m = (await db.select().from(serverMigrations).where(and(eq(serverMigrations.serverId, serverId), eq(serverMigrations.kind, "migration"), eq(serverMigrations.status, "migrating"))))[0];
  return m && m.sourceHostId !== m.destHostId ? m : null;
}

/** Confirm of a cold migration: besides the destination's confirm, the source drops its copy. */
export async function dropSourceCopy(bus: Bus, db: DbOrTx, m: MigrationRow) {
  await bus.cast(m.sourceHostId, "server.migrateDrop", { serverId: m.serverId, ports: await serverPorts(db, m.serverId) }).catch(() => undefined);
}

/** Revert of a cold migration (member, like revertResize): back to the source host. */
export async function revertMigration(who: Caller, id: string, m: MigrationRow) {
  const { db } = who.deps;
  const s = await findServer(db, who.auth, id);
  await assertUnlocked(db, who.auth, s.id);
  if (!canStart("revertResize", s.vmState, s.taskState)) throw conflictFor("revertResize", id, s.vmState, s.taskState);
  const row = await moveBack(who.deps, m);
  if (!row) throw conflictFor("revertResize", id, s.vmState, s.taskState);
  await recordAction(db, { serverId: s.id, projectId: s.projectId, action: "revertResize", requestId: who.requestId, userId: who.auth.userId, event: "compute_revert_resize" });
}

/**
 * Ingest hook for a host's state report on a migrating server (already known to be current).
 * The destination failed: back to the source (true: handled). The source failed: the migration is over.
 */
export async function migrationReport(deps: { db: Db; bus: Bus }, hostId: string, p: EventPayload<"server.state">): Promise<boolean> {
  const { db } = deps;
  const open = await db.select().from(serverMigrations).where(and(eq(serverMigrations.serverId, p.serverId), eq(serverMigrations.kind, "migration"), inArray(serverMigrations.status, OPEN_MIGRATION)));
  for (const m of open) {
    if (p.vmState === "error" && m.status === "migrating" && m.destHostId === hostId) return !!(await moveBack(deps, m, p.fault?.message ?? "failed"));
    if (p.fault && m.status === "pre-migrating" && m.sourceHostId === hostId) await setStatus(db, m.id, "error");
  }
  return false;
}

/**
 * Servers with a copy on `hostId` that the host must keep though the server runs elsewhere: the
 * other end of an open migration (not an orphan for inventory reconciliation).
 */
export async function migrationCopies(db: DbOrTx, hostId: string): Promise<Set<string>> {
  const rows = await db.select({ serverId: serverMigrations.serverId }).from(serverMigrations)
    .where(and(eq(serverMigrations.kind, "migration"), inArray(serverMigrations.status, OPEN_MIGRATION), or(eq(serverMigrations.sourceHostId, hostId), eq(serverMigrations.destHostId, hostId))));
  return new Set(rows.map((r) => r.serverId));
}
