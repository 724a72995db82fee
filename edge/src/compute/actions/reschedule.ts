import { and, eq } from "drizzle-orm";
import type { Bus } from "../../bus/types.js";
import type { Db } from "../../db/client.js";
import { ports, servers } from "../../db/schema.js";
import { createCommand } from "../commands.js";
import { hostCapacities } from "../placement.js";
import { defaultSchedulerOptions, pickHost } from "../scheduler.js";
import { addBuildEvent, buildHosts } from "./instance-actions.js";

/** Nova's scheduler max_attempts: builds tried on this many hosts before the server goes to ERROR. */
export const MAX_BUILD_ATTEMPTS = 3;

/** Which host to retry a failed build on: none once `tried` reaches the bound. Pure. */
export function retryHost<T extends { id: string }>(candidates: T[], tried: string[], pick: (hosts: T[]) => T | null): T | null {
  if (new Set(tried).size >= MAX_BUILD_ATTEMPTS) return null;
  return pick(candidates.filter((h) => !tried.includes(h.id)));
}

/**
 * A host failed a build (it has undone its side effects): send the build to another host not tried
 * yet, moving the ports' binding along. Returns false when the server should go to ERROR instead.
 */
export async function rescheduleBuild(deps: { db: Db; bus: Bus; apiBase: string }, failedHost: string, serverId: string): Promise<boolean> {
  const { db } = deps;
  const s = (await db.select().from(servers).where(and(eq(servers.id, serverId), eq(servers.hostId, failedHost))))[0];
  if (!s || s.vmState !== "building" || s.taskState === "deleting") return false;
  const tried = [...(await buildHosts(db, serverId)), failedHost];
  const commandId = crypto.randomUUID();
  const moved = await db.transaction(async (tx) => {
    const host = retryHost(await hostCapacities(tx), tried, (hosts) => pickHost(hosts, s, defaultSchedulerOptions()));
    if (!host) return null;
    const [row] = await tx.update(servers).set({ hostId: host.id, taskState: "scheduling", commandId, progress: 0, updatedAt: new Date().toISOString() })
      .where(and(eq(servers.id, serverId), eq(servers.commandId, s.commandId ?? ""))).returning();
    if (!row) return null;
    await tx.update(ports).set({ hostId: host.id }).where(eq(ports.deviceId, serverId));
    return row;
  }, { behavior: "immediate" });
  if (!moved) return false;
  await addBuildEvent(db, serverId);
  await deps.bus.cast(moved.hostId!, "server.create", await createCommand(db, moved, deps.apiBase), commandId);
  return true;
}
