import { inArray } from "drizzle-orm";
import type { DbOrTx } from "../db/client.js";
import { serverExtras } from "../db/schema.js";
import type { AuthContext } from "../lib/context.js";
import { ApiError } from "../lib/errors.js";
import { computeHosts, hostStatusOf as statusOfHost } from "./host-views.js";

export type ServerExtras = (typeof serverExtras)["$inferSelect"];

/** What a server without an extras row has. */
export const defaultExtras = (serverId: string): ServerExtras => ({ serverId, locked: false, lockedBy: null, lockedReason: null, description: null, tags: [] });

export async function extrasOf(db: DbOrTx, serverIds: string[]): Promise<Map<string, ServerExtras>> {
  const rows = serverIds.length ? await db.select().from(serverExtras).where(inArray(serverExtras.serverId, serverIds)) : [];
  return new Map(serverIds.map((id) => [id, rows.find((r) => r.serverId === id) ?? defaultExtras(id)]));
}

/** Creates or updates a server's extras row. */
export async function setExtras(db: DbOrTx, serverId: string, changes: Partial<Omit<ServerExtras, "serverId">>): Promise<ServerExtras> {
  const [row] = await db.insert(serverExtras).values({ ...defaultExtras(serverId), ...changes })
    .onConflictDoUpdate({ target: serverExtras.serverId, set: changes }).returning();
  return row;
}

/** Nova's check_instance_lock: a locked server refuses changes from anyone but an admin. */
export async function assertUnlocked(db: DbOrTx, auth: AuthContext, serverId: string) {
  if (auth.isAdmin) return;
  const extras = (await extrasOf(db, [serverId])).get(serverId)!;
  if (extras.locked) throw new ApiError(409, `Instance ${serverId} is locked`);
}

/** Nova's host_status (2.16) per host id: UP, DOWN (silent or forced down), MAINTENANCE (disabled). */
export async function hostStatusOf(db: DbOrTx, hostIds: Array<string | null>): Promise<Map<string, string>> {
  if (!hostIds.some(Boolean)) return new Map();
  return new Map((await computeHosts(db)).map((h) => [h.host.id, statusOfHost(h)]));
}
