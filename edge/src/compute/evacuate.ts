import { and, eq, inArray, isNull } from "drizzle-orm";
import { z } from "zod";
import type { DbOrTx } from "../db/client.js";
import { ports, serverGroupMembers, serverGroups, servers } from "../db/schema.js";
import type { AuthContext, Deps } from "../lib/context.js";
import { ApiError } from "../lib/errors.js";
import { createCommand } from "./commands.js";
import { hostFacts, placementOptions } from "./host-facts.js";
import { selectHost, type GroupPolicy, type PlacementRequest } from "./host-filters.js";
import { computeHosts } from "./host-views.js";
import { markError } from "./server-state.js";

type ServerRow = (typeof servers)["$inferSelect"];

export const evacuateBody = z.object({
  host: z.string().min(1).max(255).optional(),
  onSharedStorage: z.union([z.boolean(), z.enum(["true", "false", "True", "False"])]).optional(),
  adminPass: z.string().optional(),
}).strict();

/** The server's group policy with where its other members run (evacuation keeps the policy). */
export async function groupOf(tx: DbOrTx, serverId: string): Promise<PlacementRequest["group"]> {
  const link = (await tx.select().from(serverGroupMembers).where(eq(serverGroupMembers.serverId, serverId)))[0];
  if (!link) return undefined;
  const group = (await tx.select().from(serverGroups).where(eq(serverGroups.id, link.groupId)))[0];
  const others = (await tx.select().from(serverGroupMembers).where(eq(serverGroupMembers.groupId, link.groupId))).map((m) => m.serverId).filter((id) => id !== serverId);
  const rows = others.length ? await tx.select({ hostId: servers.hostId }).from(servers).where(and(inArray(servers.id, others), isNull(servers.deletedAt))) : [];
  return { policy: group.policy as GroupPolicy, memberHosts: rows.flatMap((r) => (r.hostId ? [r.hostId] : [])) };
}

/**
 * Nova's evacuate (admin): rebuilds a server whose host is down (or forced down) on another host.
 * The move is claimed in one write transaction; the old host drops its copy as an orphan when it
 * comes back. Answers the admin password, as Nova does before 2.14.
 */
export async function evacuateServer(deps: Deps, auth: AuthContext, s: ServerRow, raw: unknown, apiBase: string) {
  if (!auth.isAdmin) throw new ApiError(403, "Policy doesn't allow os_compute_api:os-evacuate to be performed.", "forbidden");
  const req = evacuateBody.parse(raw ?? {});
  const source = s.hostId ? (await computeHosts(deps.db)).find((h) => h.host.id === s.hostId) : undefined;
  if (source?.up) throw new ApiError(409, `Compute service of ${s.hostId} is still in use.`, "conflictingRequest");
  if (!["active", "stopped", "error"].includes(s.vmState) || s.taskState) throw new ApiError(409, `Cannot 'evacuate' instance ${s.id} while it is in ${s.taskState ? `task_state ${s.taskState}` : `vm_state ${s.vmState}`}`, "conflictingRequest");
  const commandId = crypto.randomUUID();
  const moved = await deps.db.transaction(async (tx) => {
    const facts = (await hostFacts(tx)).filter((h) => h.id !== s.hostId);
    const target = selectHost(facts, {
      resources: { vcpus: s.vcpus, memoryMb: s.memoryMb, diskGb: s.diskGb }, forcedHost: req.host, group: await groupOf(tx, s.id),
    }, placementOptions(deps.config));
    if (!target) throw new ApiError(req.host ? 404 : 400, req.host ? `Compute host ${req.host} could not be found.` : "No valid host was found. There are not enough hosts available.", req.host ? "itemNotFound" : "badRequest");
    const [row] = await tx.update(servers).set({ hostId: target.id, vmState: "building", taskState: "rebuilding", commandId, progress: 0, powerState: 0, updatedAt: new Date().toISOString() })
      .where(and(eq(servers.id, s.id), isNull(servers.deletedAt), isNull(servers.taskState))).returning();
    if (!row) throw new ApiError(409, `Cannot 'evacuate' instance ${s.id} while it is in another task`, "conflictingRequest");
    await tx.update(ports).set({ hostId: target.id }).where(eq(ports.deviceId, s.id));
    return row;
  }, { behavior: "immediate" });
  try {
    await deps.bus.cast(moved.hostId!, "server.create", await createCommand(deps.db, moved, apiBase), commandId);
  } catch (err) {
    await markError(deps.db, s.id, "Failed to send the rebuild to the new host.", String(err));
  }
  return { adminPass: req.adminPass ?? crypto.randomUUID().replace(/-/g, "").slice(0, 12) };
}
