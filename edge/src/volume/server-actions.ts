import { and, eq, inArray, isNull } from "drizzle-orm";
import { recordAction } from "../compute/actions/instance-actions.js";
import type { DbOrTx } from "../db/client.js";
import { instanceActionEvents, instanceActions } from "../db/schema.js";

/**
 * Nova records an `extend_volume` instance action on the server an in-use volume grows under,
 * with a `compute_extend_volume` event that finishes when the guest has seen the new size; the
 * host's volume.state answer is that moment here.
 */
export async function recordExtendAction(db: DbOrTx, r: { serverId: string; projectId: string; userId: string; requestId: string }) {
  await recordAction(db, { ...r, action: "extend_volume", event: "compute_extend_volume" });
}

/** Closes the open compute_extend_volume events of `serverId` with the host's outcome. */
export async function finishExtendAction(db: DbOrTx, serverId: string, error?: string) {
  const ids = (await db.select({ id: instanceActions.id }).from(instanceActions)
    .where(and(eq(instanceActions.serverId, serverId), eq(instanceActions.action, "extend_volume")))).map((a) => a.id);
  if (ids.length === 0) return;
  await db.update(instanceActionEvents).set({ finishTime: new Date().toISOString(), result: error ? "Error" : "Success", traceback: error ?? null })
    .where(and(inArray(instanceActionEvents.actionId, ids), eq(instanceActionEvents.event, "compute_extend_volume"), isNull(instanceActionEvents.finishTime)));
}
