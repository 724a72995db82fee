import { and, desc, eq, isNull, lt } from "drizzle-orm";
import type { Bus } from "../../bus/types.js";
import type { Db } from "../../db/client.js";
import { flavors, serverMigrations, servers } from "../../db/schema.js";
import { ApiError } from "../../lib/errors.js";
import { imageBuildCommand } from "../commands.js";
import { claimTask } from "../server-state.js";
import { hostCapacities } from "../placement.js";
import { defaultSchedulerOptions, pickHost } from "../scheduler.js";
import { assertUnlocked } from "../server-extras.js";
import { findServer } from "../servers.js";
import { canStart } from "../state.js";
import { castHostAction, conflictFor, releaseTask, type Caller } from "./host-action.js";
import { recordAction } from "./instance-actions.js";

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

/** Confirm: the new size stays; the host drops the kept disk. */
export async function confirmResize(who: Caller, id: string) {
  const m = await openMigration(who.deps.db, id);
  await castHostAction(who, id, {
    name: "confirmResize", rule: "confirmResize", command: "server.confirmResize", event: "compute_confirm_resize",
    payload: (s) => ({ serverId: s.id }),
  });
  await setStatus(who.deps.db, m.id, "confirmed");
}

/** Revert: back to the old flavor and disk. */
export async function revertResize(who: Caller, id: string, apiBase: string) {
  const { db } = who.deps;
  const m = await openMigration(db, id);
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
    } catch (err) {
      await releaseTask(db, s.id, commandId, String(err));
    }
  }
}

/**
 * Cold migration: Nova answers NoValidHost (400) when no other host can take the server. Moving a
 * disk between hosts is not built yet, so every migration ends there for now, after the same checks.
 */
export async function migrateServer(who: Caller, id: string) {
  const s = await findServer(who.deps.db, who.auth, id);
  await assertUnlocked(who.deps.db, who.auth, s.id);
  if (!canStart("resize", s.vmState, s.taskState) || !s.hostId) throw conflictFor("migrate", id, s.vmState, s.taskState);
  const others = (await hostCapacities(who.deps.db)).filter((h) => h.id !== s.hostId);
  const target = pickHost(others, s, defaultSchedulerOptions());
  throw new ApiError(400, target
    ? "No valid host was found. Cold migration between hosts is not supported yet."
    : "No valid host was found. There are not enough hosts available.");
}
