import { asc, inArray } from "drizzle-orm";
import type { DbOrTx } from "../db/client.js";
import { volumeAttachments } from "../db/schema.js";

export interface AttachedVolume {
  id: string;
  deleteOnTermination: boolean;
}

/** The volumes attached to each of `serverIds`, oldest attachment first, in one query. */
export async function attachedVolumesOf(db: DbOrTx, serverIds: string[]): Promise<Map<string, AttachedVolume[]>> {
  const out = new Map<string, AttachedVolume[]>(serverIds.map((id) => [id, []]));
  if (!serverIds.length) return out;
  const rows = await db.select().from(volumeAttachments).where(inArray(volumeAttachments.serverId, serverIds)).orderBy(asc(volumeAttachments.attachedAt));
  for (const r of rows) out.get(r.serverId)?.push({ id: r.volumeId, deleteOnTermination: r.deleteOnTermination });
  return out;
}

/** `os-extended-volumes:volumes_attached` entries: `delete_on_termination` appears from 2.3. */
export const volumesAttachedView = (volumes: AttachedVolume[], mv: number) =>
  volumes.map((v) => (mv >= 3 ? { id: v.id, delete_on_termination: v.deleteOnTermination } : { id: v.id }));
