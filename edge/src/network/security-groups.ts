import { and, eq, inArray } from "drizzle-orm";
import type { Hono } from "hono";
import { z } from "zod";
import type { DbOrTx } from "../db/client.js";
import { ports, securityGroupRules, securityGroups } from "../db/schema.js";
import { callerProject, member, reader } from "../lib/auth.js";
import type { AppEnv } from "../lib/context.js";
import { ApiError, readJson } from "../lib/errors.js";
import { selectFields } from "../lib/filters.js";
import { type Ctx, notFoundOf, nowIso, ownerOf, owns } from "./common.js";
import { listResponse } from "./list.js";
import { enforceQuota } from "./quota-store.js";
import { newGroupRules, normalizeRule, ruleKey } from "./sg-rules.js";
import { ensureDefaultGroup, insertGroup } from "./sg-store.js";
import { securityGroupRuleView, securityGroupView } from "./views.js";

const groupAttrs = { name: z.string().max(255), description: z.string().max(255) };
const createGroup = z.object({ security_group: z.object({ ...groupAttrs, project_id: z.string(), tenant_id: z.string() }).partial().strict() });
const updateGroup = z.object({ security_group: z.object(groupAttrs).partial().strict() });
const createRule = z.object({
  security_group_rule: z.object({
    security_group_id: z.string(), direction: z.unknown(), ethertype: z.unknown(), protocol: z.unknown(), port_range_min: z.unknown(), port_range_max: z.unknown(),
    remote_ip_prefix: z.unknown(), remote_group_id: z.unknown(), description: z.string().max(255), project_id: z.string(), tenant_id: z.string(),
  }).partial().required({ security_group_id: true }).strict(),
});

async function findGroup(c: Ctx, id: string) {
  const g = (await c.var.deps.db.select().from(securityGroups).where(eq(securityGroups.id, id)))[0];
  if (!g || !owns(c, g)) throw notFoundOf("Security group", id);
  return g;
}

async function groupViews(db: DbOrTx, rows: Array<typeof securityGroups.$inferSelect>) {
  const rules = rows.length ? await db.select().from(securityGroupRules).where(inArray(securityGroupRules.securityGroupId, rows.map((g) => g.id))) : [];
  return rows.map((g) => securityGroupView(g, rules.filter((r) => r.securityGroupId === g.id)));
}

async function isDefault(db: DbOrTx, g: typeof securityGroups.$inferSelect) {
  return g.id === (await ensureDefaultGroup(db, g.projectId));
}

/** Neutron security groups (a `default` group per project, made on first use) and their rules. */
export function securityGroupRoutes(app: Hono<AppEnv>) {
  app.get("/v2.0/security-groups", reader(), async (c) => {
    const { db } = c.var.deps;
    if (c.var.auth.projectId) await ensureDefaultGroup(db, c.var.auth.projectId);
    const rows = c.var.auth.isAdmin ? await db.select().from(securityGroups) : await db.select().from(securityGroups).where(eq(securityGroups.projectId, callerProject(c)));
    return c.json(listResponse(c, "security_groups", await groupViews(db, rows)));
  });

  app.get("/v2.0/security-groups/:id", reader(), async (c) => {
    const g = await findGroup(c, c.req.param("id"));
    return c.json({ security_group: selectFields((await groupViews(c.var.deps.db, [g]))[0], c.req.queries("fields")) });
  });

  app.post("/v2.0/security-groups", member(), async (c) => {
    const { security_group: b } = createGroup.parse(await readJson(c));
    const projectId = ownerOf(c, b);
    const { db } = c.var.deps;
    const row = await db.transaction(async (tx) => {
      await ensureDefaultGroup(tx, projectId);
      if (b.name === "default") throw new ApiError(409, "Default security group already exists.", "SecurityGroupDefaultAlreadyExists");
      await enforceQuota(tx, projectId, "security_group");
      return insertGroup(tx, { projectId, name: b.name ?? "", description: b.description ?? "" }, newGroupRules);
    }, { behavior: "immediate" });
    return c.json({ security_group: (await groupViews(db, [row]))[0] }, 201);
  });

  app.put("/v2.0/security-groups/:id", member(), async (c) => {
    const g = await findGroup(c, c.req.param("id"));
    const { security_group: b } = updateGroup.parse(await readJson(c));
    const { db } = c.var.deps;
    if (b.name !== undefined && b.name !== g.name && (b.name === "default" || (await isDefault(db, g)))) {
      throw new ApiError(409, "Updating default security group not allowed.", "SecurityGroupCannotUpdateDefault");
    }
    const [u] = await db.update(securityGroups).set({ name: b.name, description: b.description, updatedAt: nowIso() }).where(eq(securityGroups.id, g.id)).returning();
    return c.json({ security_group: (await groupViews(db, [u]))[0] });
  });

  app.delete("/v2.0/security-groups/:id", member(), async (c) => {
    const g = await findGroup(c, c.req.param("id"));
    const { db } = c.var.deps;
    if (await isDefault(db, g) && !c.var.auth.isAdmin) throw new ApiError(409, "Insufficient rights for removing default security group.", "SecurityGroupCannotRemoveDefault");
    await db.transaction(async (tx) => {
      const users = (await tx.select({ id: ports.id, groups: ports.securityGroupIds }).from(ports).where(eq(ports.projectId, g.projectId))).filter((p) => p.groups.includes(g.id));
      if (users.length) throw new ApiError(409, `Security Group ${g.id} in use.`, "SecurityGroupInUse");
      await tx.delete(securityGroups).where(eq(securityGroups.id, g.id));
    }, { behavior: "immediate" });
    return c.body(null, 204);
  });

  app.get("/v2.0/security-group-rules", reader(), async (c) => {
    const { db } = c.var.deps;
    if (c.var.auth.projectId) await ensureDefaultGroup(db, c.var.auth.projectId);
    const rows = c.var.auth.isAdmin ? await db.select().from(securityGroupRules) : await db.select().from(securityGroupRules).where(eq(securityGroupRules.projectId, callerProject(c)));
    return c.json(listResponse(c, "security_group_rules", rows.map(securityGroupRuleView)));
  });

  app.get("/v2.0/security-group-rules/:id", reader(), async (c) => {
    const r = await findRule(c, c.req.param("id"));
    return c.json({ security_group_rule: selectFields(securityGroupRuleView(r), c.req.queries("fields")) });
  });

  app.post("/v2.0/security-group-rules", member(), async (c) => {
    const { security_group_rule: b } = createRule.parse(await readJson(c));
    const g = await findGroup(c, b.security_group_id);
    const spec = normalizeRule(b);
    if (spec.remoteGroupId) await findGroup(c, spec.remoteGroupId);
    const { db } = c.var.deps;
    const row = await db.transaction(async (tx) => {
      const existing = await tx.select().from(securityGroupRules).where(eq(securityGroupRules.securityGroupId, g.id));
      const dup = existing.find((r) => ruleKey(r as Parameters<typeof ruleKey>[0]) === ruleKey(spec));
      if (dup) throw new ApiError(409, `Security group rule already exists. Rule id is ${dup.id}.`, "SecurityGroupRuleExists");
      await enforceQuota(tx, g.projectId, "security_group_rule");
      const [r] = await tx.insert(securityGroupRules).values({ id: crypto.randomUUID(), securityGroupId: g.id, projectId: g.projectId, description: b.description ?? "", ...spec }).returning();
      return r;
    }, { behavior: "immediate" });
    return c.json({ security_group_rule: securityGroupRuleView(row) }, 201);
  });

  app.delete("/v2.0/security-group-rules/:id", member(), async (c) => {
    const r = await findRule(c, c.req.param("id"));
    await c.var.deps.db.delete(securityGroupRules).where(and(eq(securityGroupRules.id, r.id)));
    return c.body(null, 204);
  });
}

async function findRule(c: Ctx, id: string) {
  const r = (await c.var.deps.db.select().from(securityGroupRules).where(eq(securityGroupRules.id, id)))[0];
  if (!r || !owns(c, r)) throw notFoundOf("Security group rule", id);
  return r;
}
