import { and, eq, inArray, isNull, lt, ne } from "drizzle-orm";
import type { EventPayload } from "#shared";
import type { Bus } from "../bus/types.js";
import type { Db } from "../db/client.js";
import { volumeAttachments, volumes } from "../db/schema.js";
import { nowIso } from "./store.js";

/**
 * Attachments against what a host really has plugged in, and what happens to attaches and
 * detaches when their host goes away. The database holds what users were told: a disk the host
 * has but no attachment records is unplugged (its attach was reported failed), an attachment whose
 * disk the host no longer has is dropped. Root volumes (vda) belong to their domain and are left out.
 */

export interface KnownVolume {
  id: string;
  status: string;
  attachment: { id: string; serverId: string; device: string } | null;
}

export type ReportedAttachments = NonNullable<EventPayload<"volume.inventory">["attachments"]>;

export type AttachmentSyncAction =
  | { kind: "drop"; volumeId: string; attachmentId: string; serverId: string }
  | { kind: "unplug"; volumeId: string; serverId: string; device: string };

/** Statuses whose attach, detach or resize may still be under way: the command in flight settles them. */
const IN_FLIGHT = new Set(["creating", "attaching", "detaching", "extending", "deleting"]);

/** Pure: what to change so the records match the host's disks (only for the servers it read). */
export function planAttachmentSync(known: KnownVolume[], reported: ReportedAttachments): AttachmentSyncAction[] {
  const read = new Set(reported.servers);
  const plugged = new Set(reported.disks.map((d) => `${d.serverId}/${d.volumeId}`));
  const settled = new Map(known.filter((v) => !IN_FLIGHT.has(v.status)).map((v) => [v.id, v]));
  const actions: AttachmentSyncAction[] = [];
  for (const v of settled.values()) {
    const a = v.attachment;
    if (a && a.device !== "vda" && read.has(a.serverId) && !plugged.has(`${a.serverId}/${v.id}`)) {
      actions.push({ kind: "drop", volumeId: v.id, attachmentId: a.id, serverId: a.serverId });
    }
  }
  for (const d of reported.disks) {
    const v = settled.get(d.volumeId);
    if (!v || d.device === "vda" || v.attachment?.serverId === d.serverId) continue;
    actions.push({ kind: "unplug", volumeId: d.volumeId, serverId: d.serverId, device: d.device });
  }
  return actions;
}

/** Applies planAttachmentSync to the volumes of `hostId`; unplugs are sent to the host as detaches. */
export async function syncAttachments(db: Db, bus: Bus | undefined, hostId: string, reported: ReportedAttachments) {
  const rows = await db.select({ v: volumes, a: volumeAttachments }).from(volumes)
    .leftJoin(volumeAttachments, eq(volumeAttachments.volumeId, volumes.id))
    .where(and(eq(volumes.hostId, hostId), isNull(volumes.deletedAt)));
  const known = rows.map(({ v, a }) => ({ id: v.id, status: v.status, attachment: a ? { id: a.id, serverId: a.serverId, device: a.device } : null }));
  for (const action of planAttachmentSync(known, reported)) {
    if (action.kind === "drop") {
      await db.delete(volumeAttachments).where(eq(volumeAttachments.id, action.attachmentId));
      await db.update(volumes).set({ status: "available", errorReason: `The volume was no longer attached to ${action.serverId} on its host.`, updatedAt: nowIso() })
        .where(and(eq(volumes.id, action.volumeId), eq(volumes.status, "in-use")));
    } else if (bus && /^vd[b-z]$/.test(action.device)) {
      await bus.cast(hostId, "volume.detach", { volumeId: action.volumeId, serverId: action.serverId, device: action.device });
    }
  }
}

/**
 * Settles attaches and detaches on `hostId` that can no longer finish as asked: attaching →
 * available (the attachment dropped), detaching → in-use, each with the reason. With `staleBefore`
 * only those untouched since then (their edge request is gone); without it all of them (the host is down).
 */
export async function settleInterrupted(db: Db, hostId: string, why: string, staleBefore?: string) {
  const stuck = await db.select().from(volumes).where(and(eq(volumes.hostId, hostId), isNull(volumes.deletedAt),
    inArray(volumes.status, ["attaching", "detaching"]), staleBefore ? lt(volumes.updatedAt, staleBefore) : undefined));
  for (const v of stuck) {
    if (v.status === "attaching") {
      await db.delete(volumeAttachments).where(and(eq(volumeAttachments.volumeId, v.id), ne(volumeAttachments.device, "vda")));
      await db.update(volumes).set({ status: "available", errorReason: `The attach was interrupted: ${why}.`, updatedAt: nowIso() }).where(and(eq(volumes.id, v.id), eq(volumes.status, "attaching")));
    } else {
      await db.update(volumes).set({ status: "in-use", errorReason: `The detach was interrupted: ${why}.`, updatedAt: nowIso() }).where(and(eq(volumes.id, v.id), eq(volumes.status, "detaching")));
    }
  }
}

/** A host that went offline (its last will) can finish no attach or detach: they are settled at once. */
export const settleHostDown = (db: Db, hostId: string) => settleInterrupted(db, hostId, "its host went offline");
