import { and, eq, isNull, ne, or } from "drizzle-orm";
import type { DbOrTx } from "../db/client.js";
import { servers } from "../db/schema.js";
import { releasePorts } from "./server-ports.js";
import { releaseServerVolumes } from "../volume/attach.js";

const nowIso = () => new Date().toISOString();

/** Sets a server to ERROR with a fault and clears its task, whatever it was doing. */
export async function markError(db: DbOrTx, serverId: string, message: string, details?: string, code = 500) {
  await db.update(servers).set({
    vmState: "error", taskState: null, commandId: null,
    fault: { code, message, details, created: nowIso() }, updatedAt: nowIso(),
  }).where(eq(servers.id, serverId));
}

/** Soft-deletes a server and frees its ports; idempotent. */
export async function finalizeDelete(db: DbOrTx, serverId: string) {
  await db.update(servers).set({ vmState: "deleted", taskState: null, powerState: 0, deletedAt: nowIso(), updatedAt: nowIso(), commandId: null })
    .where(and(eq(servers.id, serverId), isNull(servers.deletedAt)));
  await releasePorts(db, serverId);
  await releaseServerVolumes(db, serverId);
}

/**
 * Compare-and-swap: starts a task only if the server is still in one of `from` with no task
 * (or any task but deleting, when `anyTask`). Returns the updated row, or null on a lost race.
 */
export async function claimTask(db: DbOrTx, serverId: string, opts: { from: string[]; task: string; anyTask?: boolean; commandId: string }) {
  const taskGuard = opts.anyTask ? or(isNull(servers.taskState), ne(servers.taskState, "deleting")) : isNull(servers.taskState);
  const stateGuard = or(...opts.from.map((s) => eq(servers.vmState, s)));
  const rows = await db.update(servers).set({ taskState: opts.task, commandId: opts.commandId, updatedAt: nowIso() })
    .where(and(eq(servers.id, serverId), isNull(servers.deletedAt), stateGuard, taskGuard)).returning();
  return rows[0] ?? null;
}
