import { and, desc, eq, isNull, lt } from "drizzle-orm";
import type { Bus } from "../../bus/types.js";
import type { Db } from "../../db/client.js";
import { flavors, serverMigrations, servers } from "../../db/schema.js";
import { ApiError } from "../../lib/errors.js";
import { imageBuildCommand } from "../commands.js";
import { claimTask } from "../server-state.js";
import { castHostAction, releaseTask, type Caller } from "./host-action.js";
import { recordAction } from "./instance-actions.js";
import { dropSourceCopy, openColdMigration, revertMigration } from "./migrate.js";

type ServerRow = (typeof servers)["$inferSelect"];
type FlavorRow = (typeof flavors)["$inferSelect"];

const sized = (f: FlavorRow) => ({ flavorId: f.id, vcpus: f.vcpus, memoryMb: f.ramMb, diskGb: f.diskGb });

/** Nova's resize checks: a different flavor, and never a smaller disk. Pure. */
export function resizeProblem(s: Pick<ServerRow, "flavorId" | "diskGb">, f: FlavorRow): string | null {
  if (f.id === s.flavorId) return "When resizing, instances must change flavor!";
  if (f.diskGb < s.diskGb) return "Resize error: Unable to resize disk down.";
  return null;
}

/**
 * Resize: the host keeps the old disk, grows the current one and redefines the domain at the new
 * size (on the same host: allow_resize_to_same_host). The server then waits in VERIFY_RESIZE for
 * confirm (drops the old disk) or revert (goes back to it and the old flavor). The migration row
 * records both ends, so a destination host other than the source fits the same model.
 */
export async function resizeServer(who: Caller, id: string, flavorRef: string, apiBase: string) {
  const { db } = who.deps;
  const flavor = (await db.select().from(flavors).where(eq(flavors.id, flavorRef)))[0];
  if (!flavor) throw new ApiError(400, `Flavor ${flavorRef} could not be found.`);
  const s0 = await castHostAction(who, id, {
    name: "resize", rule: "resize", command: "server.resize", event: "compute_resize_instance",
    check: (s) => {
      const problem = resizeProblem(s, flavor);
      if (problem) throw new ApiError(400, problem);
    },
    payload: (s) => imageBuildCommand(db, { ...s, ...sized(flavor) }, apiBase),
  });
  await db.insert(serverMigrations).values({
    id: crypto.randomUUID(), serverId: id, kind: "resize", status: "migrating",
    sourceHostId: s0.hostId!, destHostId: s0.hostId!, oldFlavorId: s0.flavorId, newFlavorId: flavor.id,
  });
  await db.update(servers).set({ ...sized(flavor), updatedAt: new Date().toISOString() }).where(eq(servers.id, id));
}

async function openMigration(db: Db, serverId: string) {
  const m = (await db.select().from(serverMigrations).where(and(eq(serverMigrations.serverId, serverId), eq(serverMigrations.status, "migrating")))
    .orderBy(desc(serverMigrations.createdAt)))[0];
  if (!m) throw new ApiError(400, `Instance ${serverId} has not been resized.`);
  return m;
}

const setStatus = (db: Db, migrationId: string, status: string) =>
  db.update(serverMigrations).set({ status, updatedAt: new Date().toISOString() }).where(eq(serverMigrations.id, migrationId));

/** Confirm: the new size stays; the host drops the kept disk (after a cold migration, the source its copy). */
export async function confirmResize(who: Caller, id: string) {
  const m = await openMigration(who.deps.db, id);
  await castHostAction(who, id, {
    name: "confirmResize", rule: "confirmResize", command: "server.confirmResize", event: "compute_confirm_resize",
    payload: (s) => ({ serverId: s.id }),
  });
  await setStatus(who.deps.db, m.id, "confirmed");
  if (m.kind === "migration" && m.sourceHostId !== m.destHostId) await dropSourceCopy(who.deps.bus, who.deps.db, m);
}

/** Revert: back to the old flavor and disk. */
export async function revertResize(who: Caller, id: string, apiBase: string) {
  const { db } = who.deps;
  const m = await openMigration(db, id);
  const cold = await openColdMigration(db, id);
  if (cold) return revertMigration(who, id, cold);
  const old = (await db.select().from(flavors).where(eq(flavors.id, m.oldFlavorId)))[0];
  if (!old) throw new ApiError(409, `The flavor ${m.oldFlavorId} to revert to no longer exists.`);
  await castHostAction(who, id, {
    name: "revertResize", rule: "revertResize", command: "server.revertResize", event: "compute_revert_resize",
    payload: (s) => imageBuildCommand(db, { ...s, ...sized(old) }, apiBase),
  });
  await db.update(servers).set({ ...sized(old), updatedAt: new Date().toISOString() }).where(eq(servers.id, id));
  await setStatus(db, m.id, "reverted");
}

/**
 * Nova's resize_confirm_window: resizes waiting longer than `windowSeconds` on `hostId` are
 * confirmed. Driven by the host's heartbeats, so the stateless edge needs no timer of its own.
 */
export async function autoConfirmResizes(deps: { db: Db; bus: Bus }, hostId: string, windowSeconds: number, now = Date.now()) {
  const { db } = deps;
  const cutoff = new Date(now - windowSeconds * 1000).toISOString();
  const due = await db.select({ m: serverMigrations, s: servers }).from(serverMigrations).innerJoin(servers, eq(servers.id, serverMigrations.serverId))
    .where(and(eq(serverMigrations.destHostId, hostId), eq(serverMigrations.status, "migrating"), lt(serverMigrations.updatedAt, cutoff), eq(servers.vmState, "resized"), isNull(servers.taskState)));
  for (const { m, s } of due) {
    const commandId = crypto.randomUUID();
    if (!(await claimTask(db, s.id, { from: ["resized"], task: "resize_confirming", commandId }))) continue;
    await recordAction(db, { serverId: s.id, projectId: s.projectId, action: "confirmResize", requestId: `req-${commandId}`, userId: s.userId, event: "compute_confirm_resize" });
    await setStatus(db, m.id, "confirmed");
    try {
      await deps.bus.cast(hostId, "server.confirmResize", { serverId: s.id }, commandId);
      if (m.kind === "migration" && m.sourceHostId !== m.destHostId) await dropSourceCopy(deps.bus, db, m);
    } catch (err) {
      await releaseTask(db, s.id, commandId, String(err));
    }
  }
}
