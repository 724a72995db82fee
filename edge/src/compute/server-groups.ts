import { and, eq, inArray, isNull } from "drizzle-orm";
import type { Hono } from "hono";
import { z } from "zod";
import type { DbOrTx } from "../db/client.js";
import { serverGroupMembers, serverGroups, servers } from "../db/schema.js";
import { member, reader } from "../lib/auth.js";
import type { AppEnv, AuthContext } from "../lib/context.js";
import { ApiError, readJson } from "../lib/errors.js";
import { microversion } from "./microversion.js";
import { enforceQuota } from "./quotas.js";

type GroupRow = (typeof serverGroups)["$inferSelect"];
const POLICIES = ["affinity", "anti-affinity", "soft-affinity", "soft-anti-affinity"] as const;

const name = z.string().min(1).max(255).refine((s) => s.trim() === s && s.length > 0, "name has leading or trailing whitespace");
/** Both request forms: `policies: [p]` (2.1) and `policy: p` (2.64). */
const createBody = z.object({
  server_group: z.union([
    z.object({ name, policies: z.array(z.enum(POLICIES)).length(1, "exactly one policy is allowed") }).strict(),
    z.object({ name, policy: z.enum(POLICIES), rules: z.record(z.string(), z.unknown()).optional() }).strict(),
  ]),
});

/** Live members of each group. */
async function membersOf(db: DbOrTx, groupIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(groupIds.map((id) => [id, []]));
  if (!groupIds.length) return out;
  const rows = await db.select({ groupId: serverGroupMembers.groupId, serverId: serverGroupMembers.serverId }).from(serverGroupMembers)
    .innerJoin(servers, eq(servers.id, serverGroupMembers.serverId))
    .where(and(inArray(serverGroupMembers.groupId, groupIds), isNull(servers.deletedAt)));
  for (const r of rows) out.get(r.groupId)!.push(r.serverId);
  return out;
}

/** A group as Nova shows it; `project_id` and `user_id` appear from 2.13. */
const view = (g: GroupRow, members: string[], minor: number) => ({
  id: g.id, name: g.name, policies: [g.policy], members, metadata: g.metadata,
  ...(minor >= 13 ? { project_id: g.projectId, user_id: g.userId } : {}),
});

/** The policy a create asks for, if the request's microversion allows it (soft ones from 2.15, `policy` from 2.64). */
function requestedPolicy(g: z.infer<typeof createBody>["server_group"], minor: number): string {
  if (!("policies" in g) && minor < 64) throw new ApiError(400, "Invalid input for field/attribute server_group. Additional properties are not allowed ('policy' was unexpected)", "badRequest");
  const policy = "policies" in g ? g.policies[0] : g.policy;
  if (policy.startsWith("soft-") && minor < 15) {
    throw new ApiError(400, `Invalid input for field/attribute 0. Value: ${policy}. '${policy}' is not one of ['anti-affinity', 'affinity']`, "badRequest");
  }
  return policy;
}

async function findGroup(db: DbOrTx, auth: AuthContext, id: string): Promise<GroupRow> {
  const row = (await db.select().from(serverGroups).where(eq(serverGroups.id, id)))[0];
  if (!row || (!auth.isAdmin && row.projectId !== auth.projectId)) throw new ApiError(404, `Instance group ${id} could not be found.`, "itemNotFound");
  return row;
}

/** os-server-groups: create, list (all_projects for admins), show, delete. */
export function registerServerGroupRoutes(app: Hono<AppEnv>) {
  app.post("/v2.1/os-server-groups", member(), async (c) => {
    const { server_group: g } = createBody.parse(await readJson(c));
    const auth = c.var.auth;
    const minor = microversion(c);
    const policy = requestedPolicy(g, minor);
    const row = await c.var.deps.db.transaction(async (tx) => {
      await enforceQuota(tx, auth.projectId!, { server_groups: 1 });
      return (await tx.insert(serverGroups).values({ id: crypto.randomUUID(), name: g.name, projectId: auth.projectId!, userId: auth.userId, policy }).returning())[0];
    }, { behavior: "immediate" });
    return c.json({ server_group: view(row, [], minor) });
  });

  app.get("/v2.1/os-server-groups", reader(), async (c) => {
    const auth = c.var.auth;
    const all = auth.isAdmin && ["1", "true", "True"].includes(c.req.query("all_projects") ?? "");
    const { db } = c.var.deps;
    let rows = await db.select().from(serverGroups).where(all ? undefined : eq(serverGroups.projectId, auth.projectId ?? "")).orderBy(serverGroups.createdAt);
    const offset = Number(c.req.query("offset") ?? 0);
    const limit = c.req.query("limit");
    rows = rows.slice(offset, limit === undefined ? undefined : offset + Number(limit));
    const members = await membersOf(db, rows.map((r) => r.id));
    const minor = microversion(c);
    return c.json({ server_groups: rows.map((r) => view(r, members.get(r.id) ?? [], minor)) });
  });

  app.get("/v2.1/os-server-groups/:id", reader(), async (c) => {
    const g = await findGroup(c.var.deps.db, c.var.auth, c.req.param("id"));
    return c.json({ server_group: view(g, (await membersOf(c.var.deps.db, [g.id])).get(g.id) ?? [], microversion(c)) });
  });

  app.delete("/v2.1/os-server-groups/:id", member(), async (c) => {
    const { db } = c.var.deps;
    const g = await findGroup(db, c.var.auth, c.req.param("id"));
    await db.transaction(async (tx) => {
      await tx.delete(serverGroupMembers).where(eq(serverGroupMembers.groupId, g.id));
      await tx.delete(serverGroups).where(eq(serverGroups.id, g.id));
    });
    return c.body(null, 204);
  });
}
