import { and, desc, eq, inArray, isNull } from "drizzle-orm";
import type { Hono } from "hono";
import type { DbOrTx } from "../../db/client.js";
import { instanceActionEvents, instanceActions, servers } from "../../db/schema.js";
import { reader } from "../../lib/auth.js";
import type { AppEnv, AuthContext } from "../../lib/context.js";
import { ApiError } from "../../lib/errors.js";
import { microversion } from "../microversion.js";

const nowIso = () => new Date().toISOString();
/** Nova's format: microseconds, no zone (`2026-01-02T03:04:05.123000`). */
export const stamp = (s: string | null) => (s ? s.replace(/Z$/, "").replace(/\.(\d+)$/, (_m, f: string) => `.${f.padEnd(6, "0").slice(0, 6)}`) : null);

export interface ActionRecord {
  serverId: string;
  projectId: string;
  action: string;
  requestId: string;
  userId: string;
  /** First event (e.g. compute_pause_instance); it finishes when the host reports. */
  event?: string;
  /** Event already done (synchronous actions). */
  finished?: boolean;
}

/** Records an instance action and its first event, as Nova's API does before casting to the host. */
export async function recordAction(db: DbOrTx, r: ActionRecord) {
  const id = crypto.randomUUID();
  await db.insert(instanceActions).values({ id, serverId: r.serverId, action: r.action, requestId: r.requestId, userId: r.userId, projectId: r.projectId });
  if (r.event) {
    await db.insert(instanceActionEvents).values({ id: crypto.randomUUID(), actionId: id, event: r.event, ...(r.finished ? { finishTime: nowIso(), result: "Success" } : {}) });
  }
  return id;
}

/** Closes every open event of a server: `hostId` has reported the outcome of its command. */
export async function finishEvents(db: DbOrTx, serverId: string, error?: string, hostId?: string) {
  const actionIds = (await db.select({ id: instanceActions.id }).from(instanceActions).where(eq(instanceActions.serverId, serverId))).map((a) => a.id);
  if (!actionIds.length) return;
  await db.update(instanceActionEvents).set({ finishTime: nowIso(), result: error ? "Error" : "Success", traceback: error ?? null, ...(hostId ? { hostId } : {}) })
    .where(and(inArray(instanceActionEvents.actionId, actionIds), isNull(instanceActionEvents.finishTime)));
}

/** The build attempts of a server so far: the hosts its create action's finished events ran on. */
export async function buildHosts(db: DbOrTx, serverId: string): Promise<string[]> {
  const rows = await db.select({ hostId: instanceActionEvents.hostId }).from(instanceActionEvents)
    .innerJoin(instanceActions, eq(instanceActions.id, instanceActionEvents.actionId))
    .where(and(eq(instanceActions.serverId, serverId), eq(instanceActions.action, "create")));
  return rows.map((r) => r.hostId).filter((h): h is string => !!h);
}

/** Opens another event on a server's latest `action` (a build retried on another host, a migration's next step). */
export async function addActionEvent(db: DbOrTx, serverId: string, action: string, event: string) {
  const row = (await db.select({ id: instanceActions.id }).from(instanceActions).where(and(eq(instanceActions.serverId, serverId), eq(instanceActions.action, action)))
    .orderBy(desc(instanceActions.startTime)))[0];
  if (row) await db.insert(instanceActionEvents).values({ id: crypto.randomUUID(), actionId: row.id, event });
}

/** Opens another event on a server's create action (a build retried on another host). */
export const addBuildEvent = (db: DbOrTx, serverId: string) => addActionEvent(db, serverId, "create", "compute__do_build_and_run_instance");

/** The server for action listings: from 2.21 a deleted server's history stays visible. */
async function serverForActions(db: DbOrTx, auth: AuthContext, id: string, mv: number) {
  const scope = auth.isAdmin ? undefined : eq(servers.projectId, auth.projectId ?? "");
  const alive = mv >= 21 ? undefined : isNull(servers.deletedAt);
  const row = (await db.select().from(servers).where(and(eq(servers.id, id), alive, scope)))[0];
  if (!row) throw new ApiError(404, `Instance ${id} could not be found.`);
  return row;
}

type ActionRow = (typeof instanceActions)["$inferSelect"];
const actionView = (a: ActionRow) => ({
  action: a.action, instance_uuid: a.serverId, message: a.message, project_id: a.projectId, request_id: a.requestId,
  start_time: stamp(a.startTime), user_id: a.userId,
});

/** GET /servers/{id}/os-instance-actions[/{request_id}]. */
export function registerInstanceActionRoutes(app: Hono<AppEnv>) {
  app.get("/v2.1/servers/:id/os-instance-actions", reader(), async (c) => {
    const { db } = c.var.deps;
    const s = await serverForActions(db, c.var.auth, c.req.param("id"), microversion(c));
    const rows = await db.select().from(instanceActions).where(eq(instanceActions.serverId, s.id)).orderBy(desc(instanceActions.startTime));
    return c.json({ instanceActions: rows.map(actionView) });
  });

  app.get("/v2.1/servers/:id/os-instance-actions/:requestId", reader(), async (c) => {
    const { db } = c.var.deps;
    const s = await serverForActions(db, c.var.auth, c.req.param("id"), microversion(c));
    const requestId = c.req.param("requestId");
    const a = (await db.select().from(instanceActions).where(and(eq(instanceActions.serverId, s.id), eq(instanceActions.requestId, requestId))))[0];
    if (!a) throw new ApiError(404, `Action for request_id ${requestId} on instance ${s.id} not found`);
    // Before 2.51 only admins see events (Nova's default policy); tracebacks are always admin-only.
    if (!c.var.auth.isAdmin) return c.json({ instanceAction: actionView(a) });
    const events = await db.select().from(instanceActionEvents).where(eq(instanceActionEvents.actionId, a.id)).orderBy(instanceActionEvents.startTime);
    return c.json({
      instanceAction: {
        ...actionView(a),
        events: events.map((e) => ({ event: e.event, start_time: stamp(e.startTime), finish_time: stamp(e.finishTime), result: e.result, traceback: e.traceback })),
      },
    });
  });
}
