import { eq, inArray } from "drizzle-orm";
import type { Bus } from "../bus/types.js";
import type { DbOrTx } from "../db/client.js";
import { ports, securityGroups } from "../db/schema.js";
import { ApiError } from "../lib/errors.js";
import { syncFirewalls } from "./firewall-sync.js";
import { projectGroupsNamed } from "./nova-ports.js";

/**
 * Nova's view of a server's security groups: the groups on its ports, by name, once each. A server
 * without ports (or whose ports have none) has none, and Nova then leaves the key out.
 */
export async function securityGroupsOfServers(db: DbOrTx, serverIds: string[]): Promise<Map<string, Array<{ name: string }>>> {
  const out = new Map<string, Array<{ name: string }>>();
  if (serverIds.length === 0) return out;
  const rows = await db.select({ serverId: ports.deviceId, groupIds: ports.securityGroupIds }).from(ports).where(inArray(ports.deviceId, serverIds));
  const allIds = [...new Set(rows.flatMap((r) => r.groupIds))];
  if (allIds.length === 0) return out;
  const names = new Map((await db.select({ id: securityGroups.id, name: securityGroups.name }).from(securityGroups).where(inArray(securityGroups.id, allIds))).map((g) => [g.id, g.name]));
  for (const r of rows) {
    const list = out.get(r.serverId) ?? [];
    for (const id of r.groupIds) {
      const name = names.get(id);
      if (name !== undefined && !list.some((g) => g.name === name)) list.push({ name });
    }
    out.set(r.serverId, list);
  }
  return out;
}

/** A group of the server's project by name or id. */
async function groupOf(db: DbOrTx, projectId: string, nameOrId: string): Promise<string> {
  const hits = await projectGroupsNamed(db, projectId, nameOrId);
  if (hits.length === 0) throw new ApiError(404, `Security group ${nameOrId} not found for project ${projectId}.`, "itemNotFound");
  if (hits.length > 1) throw new ApiError(409, `Multiple security groups named ${nameOrId}: use its id.`, "conflictingRequest");
  return hits[0]!;
}

export interface ServerRef { id: string; projectId: string; hostId: string | null }

/**
 * Nova's addSecurityGroup/removeSecurityGroup: the group is added to (or removed from) every port
 * of the server that has port security, then the server's host re-renders its firewall.
 */
export async function changeServerSecurityGroup(db: DbOrTx, bus: Bus, server: ServerRef, nameOrId: string, op: "add" | "remove"): Promise<void> {
  const groupId = await groupOf(db, server.projectId, nameOrId);
  const own = (await db.select().from(ports).where(eq(ports.deviceId, server.id))).filter((p) => p.portSecurityEnabled);
  if (own.length === 0) throw new ApiError(400, `Server ${server.id} has no port with port security to apply security group ${nameOrId} to.`, "badRequest");
  const having = own.filter((p) => p.securityGroupIds.includes(groupId));
  if (op === "add" && having.length === own.length) throw new ApiError(400, `Security group ${nameOrId} is already associated with the instance ${server.id}`, "badRequest");
  if (op === "remove" && having.length === 0) throw new ApiError(400, `Security group ${nameOrId} not associated with the instance ${server.id}`, "badRequest");
  for (const p of own) {
    const next = op === "add" ? [...new Set([...p.securityGroupIds, groupId])] : p.securityGroupIds.filter((id) => id !== groupId);
    await db.update(ports).set({ securityGroupIds: next }).where(eq(ports.id, p.id));
  }
  // Every host: remote-group rules elsewhere follow this membership change.
  await syncFirewalls(db, bus);
}
