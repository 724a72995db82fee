import { and, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import { findServer } from "../compute/servers.js";
import type { DbOrTx } from "../db/client.js";
import { hosts, volumeAttachments, volumes } from "../db/schema.js";
import type { AuthContext, Deps } from "../lib/context.js";
import { ApiError } from "../lib/errors.js";
import { findVolume, nowIso, type AttachmentRow } from "./store.js";
import { finalizeVolumeDelete } from "./volumes.js";

/** How long the edge waits for a host to hot-plug or unplug a disk before giving the volume back. */
export const ATTACH_TIMEOUT_MS = 60_000;

export const attachBody = z.object({
  volumeAttachment: z.object({ volumeId: z.string().min(1), device: z.string().nullable().optional() }).passthrough(),
});

const DEVICES = "bcdefghijklmnopqrstuvwxyz".split("").map((l) => `vd${l}`);

/** The first virtio target the server does not use yet (vda is its root disk). */
export function nextDevice(used: string[]): string | null {
  return DEVICES.find((d) => !used.includes(d)) ?? null;
}

/** Nova 2.1's view of an attachment. */
export const novaAttachmentView = (a: AttachmentRow) => ({ id: a.volumeId, serverId: a.serverId, volumeId: a.volumeId, device: `/dev/${a.device}` });

const reason = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Attaches a volume to a server live. Nimbus volumes are files in their host's pool, so the volume
 * must be on the server's host: otherwise 409 (no network block transport yet). The volume goes
 * available → attaching by compare-and-swap; if the host fails or does not answer in time the
 * attachment is dropped and the volume is available again, with the reason recorded.
 */
export async function attachVolume(deps: Deps, auth: AuthContext, serverId: string, body: unknown) {
  const { volumeAttachment: req } = attachBody.parse(body);
  const server = await findServer(deps.db, auth, serverId);
  const v = await findVolume(deps.db, auth, req.volumeId);
  if (server.taskState || !["active", "stopped"].includes(server.vmState) || !server.hostId) {
    throw new ApiError(409, `Cannot 'attach_volume' instance ${serverId} while it is in ${server.taskState ? `task_state ${server.taskState}` : `vm_state ${server.vmState}`}`);
  }
  if (v.status !== "available") throw new ApiError(400, `Invalid volume: volume ${v.id} status must be 'available'. Currently in '${v.status}'`);
  if (v.hostId !== server.hostId) {
    throw new ApiError(409, `Volume ${v.id} is on host ${v.hostId ?? "(none)"} but instance ${serverId} runs on ${server.hostId}: Nimbus attaches a volume only to servers on the volume's own host.`);
  }
  await requireHostUp(deps.db, server.hostId, `attach volume ${v.id} to`, serverId);
  const attachment = await deps.db.transaction(async (tx) => {
    const claimed = await tx.update(volumes).set({ status: "attaching", updatedAt: nowIso() }).where(and(eq(volumes.id, v.id), eq(volumes.status, "available"))).returning();
    if (claimed.length === 0) throw new ApiError(400, `Invalid volume: volume ${v.id} status must be 'available'.`);
    const used = (await tx.select().from(volumeAttachments).where(eq(volumeAttachments.serverId, serverId))).map((a) => a.device);
    const device = nextDevice(used);
    if (!device) throw new ApiError(409, `Instance ${serverId} has no free disk device left.`);
    const [row] = await tx.insert(volumeAttachments).values({ id: crypto.randomUUID(), volumeId: v.id, serverId, hostId: server.hostId!, device }).returning();
    return row!;
  }, { behavior: "immediate" });
  try {
    await deps.bus.call(server.hostId, "volume.attach", { volumeId: v.id, serverId, device: attachment.device, readonly: v.readonly === "True" }, ATTACH_TIMEOUT_MS);
  } catch (err) {
    await deps.db.delete(volumeAttachments).where(eq(volumeAttachments.id, attachment.id));
    await deps.db.update(volumes).set({ status: "available", errorReason: `attach to ${serverId} failed: ${reason(err)}`, updatedAt: nowIso() }).where(eq(volumes.id, v.id));
    throw new ApiError(409, `Volume ${v.id} could not be attached to instance ${serverId}: ${reason(err)}`);
  }
  const done = await deps.db.update(volumes).set({ status: "in-use", errorReason: null, updatedAt: nowIso() }).where(and(eq(volumes.id, v.id), eq(volumes.status, "attaching"))).returning();
  if (done.length === 0) {
    // The attach was given up meanwhile (its host went offline): what the host did late is undone.
    await deps.bus.cast(server.hostId, "volume.detach", { volumeId: v.id, serverId, device: attachment.device });
    throw new ApiError(409, `Volume ${v.id} could not be attached to instance ${serverId}: the attach was interrupted.`);
  }
  return attachment;
}

/** 409 at once when the host is known to be offline, rather than waiting for a call it cannot answer. */
async function requireHostUp(db: DbOrTx, hostId: string, what: string, serverId: string) {
  const [host] = await db.select({ online: hosts.online }).from(hosts).where(eq(hosts.id, hostId));
  if (host && !host.online) throw new ApiError(409, `Cannot ${what} instance ${serverId}: its host ${hostId} is down.`);
}

/** Detaches live: in-use → detaching → available; a failed or unanswered detach leaves it in-use. */
export async function detachVolume(deps: Deps, auth: AuthContext, serverId: string, volumeId: string) {
  const server = await findServer(deps.db, auth, serverId);
  const a = await findAttachment(deps.db, serverId, volumeId);
  if (a.device === "vda") throw new ApiError(400, `Can't detach root device volume ${volumeId}.`);
  if (server.hostId) await requireHostUp(deps.db, server.hostId, `detach volume ${volumeId} from`, serverId);
  const claimed = await deps.db.update(volumes).set({ status: "detaching", updatedAt: nowIso() }).where(and(eq(volumes.id, volumeId), eq(volumes.status, "in-use"))).returning();
  if (claimed.length === 0) throw new ApiError(400, `Invalid volume: Unable to detach volume ${volumeId}: it is not in-use.`);
  try {
    if (server.hostId) await deps.bus.call(server.hostId, "volume.detach", { volumeId, serverId, device: a.device }, ATTACH_TIMEOUT_MS);
  } catch (err) {
    await deps.db.update(volumes).set({ status: "in-use", errorReason: `detach from ${serverId} failed: ${reason(err)}`, updatedAt: nowIso() }).where(eq(volumes.id, volumeId));
    throw new ApiError(409, `Volume ${volumeId} could not be detached from instance ${serverId}: ${reason(err)}`);
  }
  await deps.db.delete(volumeAttachments).where(eq(volumeAttachments.id, a.id));
  await deps.db.update(volumes).set({ status: "available", errorReason: null, updatedAt: nowIso() }).where(eq(volumes.id, volumeId));
}

export async function findAttachment(db: DbOrTx, serverId: string, volumeId: string) {
  const a = (await db.select().from(volumeAttachments).where(and(eq(volumeAttachments.serverId, serverId), eq(volumeAttachments.volumeId, volumeId))))[0];
  if (!a) throw new ApiError(404, `Volume attachment ${volumeId} could not be found.`);
  return a;
}

export async function serverAttachments(db: DbOrTx, serverId: string) {
  return db.select().from(volumeAttachments).where(eq(volumeAttachments.serverId, serverId));
}

/**
 * A deleted server lets go of its volumes (its domain, and so the hot-plugged disks, are gone);
 * delete_on_termination volumes were removed by the host with the server and are gone too.
 */
export async function releaseServerVolumes(db: DbOrTx, serverId: string) {
  const held = await serverAttachments(db, serverId);
  if (held.length === 0) return;
  await db.delete(volumeAttachments).where(eq(volumeAttachments.serverId, serverId));
  const gone = held.filter((a) => a.deleteOnTermination).map((a) => a.volumeId);
  for (const id of gone) await finalizeVolumeDelete(db, id);
  const kept = held.filter((a) => !a.deleteOnTermination).map((a) => a.volumeId);
  if (kept.length === 0) return;
  await db.update(volumes).set({ status: "available", updatedAt: nowIso() })
    .where(and(inArray(volumes.id, kept), inArray(volumes.status, ["in-use", "attaching", "detaching"])));
}
