import { and, eq, type SQL } from "drizzle-orm";
import { Hono } from "hono";
import { assignments, groupMembers, groups, users } from "../../db/schema.js";
import { authenticate, requireRole, requireSelfOrRole } from "../../lib/auth.js";
import type { AppEnv } from "../../lib/context.js";
import { badRequest, notFound } from "../../lib/errors.js";
import { revokeForGrants } from "../assignments/grants.js";
import { collectionLinks, duplicateOf, newId, parseBody, storeUnique, v3Base, type Ctx } from "./common.js";
import { groupCreate, groupExtras, groupUpdate } from "./schemas.js";
import { getDomain, getGroup, getUser } from "./store.js";
import { groupView, userView } from "./views.js";

const duplicate = (name: string, domainId: string) => duplicateOf("group", `Duplicate entry found with name ${name} at domain ID ${domainId}.`);
const MEMBER = "/groups/:id/users/:user_id";

/** Keystone v3 groups and their members. Losing a membership (or the group) revokes what it granted. */
export function groupRoutes() {
  const app = new Hono<AppEnv>();
  const admin = [authenticate(), requireRole("admin")] as const;

  app.post("/groups", ...admin, async (c) => {
    const { db } = c.var.deps;
    const { group: g } = await parseBody(c, groupCreate);
    const domainId = g.domain_id ?? c.var.auth.claims.pdom ?? "default";
    await getDomain(db, domainId);
    const values = { id: newId(), name: g.name, domainId, description: g.description ?? "", extra: groupExtras(g) };
    const [row] = await storeUnique(() => db.insert(groups).values(values).returning(), () => duplicate(g.name, domainId));
    return c.json({ group: groupView(row, v3Base(c)) }, 201);
  });

  app.get("/groups", ...admin, async (c) => {
    const { name, domain_id } = c.req.query();
    const conds: SQL[] = [];
    if (name !== undefined) conds.push(eq(groups.name, name));
    if (domain_id !== undefined) conds.push(eq(groups.domainId, domain_id));
    const rows = await c.var.deps.db.select().from(groups).where(and(...conds)).orderBy(groups.name);
    return c.json({ groups: rows.map((g) => groupView(g, v3Base(c))), links: collectionLinks(c) });
  });

  app.get("/groups/:id", ...admin, async (c) => c.json({ group: groupView(await getGroup(c.var.deps.db, c.req.param("id")), v3Base(c)) }));

  app.patch("/groups/:id", ...admin, async (c) => {
    const { db } = c.var.deps;
    const current = await getGroup(db, c.req.param("id"));
    const { group: g } = await parseBody(c, groupUpdate);
    if (g.domain_id != null && g.domain_id !== current.domainId) throw badRequest("Cannot change Domain ID.", "ValidationError");
    const set = { name: g.name, description: g.description, extra: { ...current.extra, ...groupExtras(g) }, updatedAt: new Date().toISOString() };
    const [row] = await storeUnique(() => db.update(groups).set(set).where(eq(groups.id, current.id)).returning(), () => duplicate(g.name ?? "", current.domainId));
    return c.json({ group: groupView(row, v3Base(c)) });
  });

  app.delete("/groups/:id", ...admin, async (c) => {
    const { db } = c.var.deps;
    const current = await getGroup(db, c.req.param("id"));
    const byGroup = and(eq(assignments.actorType, "group"), eq(assignments.actorId, current.id));
    const { granted, members } = await db.transaction(async (tx) => {
      const granted = await tx.delete(assignments).where(byGroup).returning();
      const members = (await tx.select({ id: groupMembers.userId }).from(groupMembers).where(eq(groupMembers.groupId, current.id))).map((m) => m.id);
      await tx.delete(groups).where(eq(groups.id, current.id)); // memberships go with it (foreign key)
      return { granted, members };
    }, { behavior: "immediate" });
    await revokeForGrants(c, granted, members);
    return c.body(null, 204);
  });

  app.get("/groups/:id/users", ...admin, async (c) => {
    const { db } = c.var.deps;
    const group = await getGroup(db, c.req.param("id"));
    const rows = await db.select({ user: users }).from(groupMembers).innerJoin(users, eq(users.id, groupMembers.userId)).where(eq(groupMembers.groupId, group.id)).orderBy(users.name);
    return c.json({ users: rows.map((r) => userView(r.user, v3Base(c))), links: collectionLinks(c) });
  });

  const membership = async (c: Ctx) => {
    const { db } = c.var.deps;
    const group = await getGroup(db, c.req.param("id")!);
    const user = await getUser(db, c.req.param("user_id")!);
    return { groupId: group.id, userId: user.id, where: and(eq(groupMembers.groupId, group.id), eq(groupMembers.userId, user.id)) };
  };
  const notMember = (m: { groupId: string; userId: string }) => notFound(`User ${m.userId} is not a member of group ${m.groupId}.`, "NotFound");

  app.put(MEMBER, ...admin, async (c) => {
    const m = await membership(c);
    await c.var.deps.db.insert(groupMembers).values({ groupId: m.groupId, userId: m.userId }).onConflictDoNothing();
    return c.body(null, 204);
  });

  // HEAD is answered by this GET handler.
  app.get(MEMBER, ...admin, async (c) => {
    const m = await membership(c);
    if ((await c.var.deps.db.select().from(groupMembers).where(m.where).limit(1)).length === 0) throw notMember(m);
    return c.body(null, 204);
  });

  app.delete(MEMBER, ...admin, async (c) => {
    const { db } = c.var.deps;
    const m = await membership(c);
    if ((await db.delete(groupMembers).where(m.where).returning()).length === 0) throw notMember(m);
    const granted = await db.select().from(assignments).where(and(eq(assignments.actorType, "group"), eq(assignments.actorId, m.groupId)));
    await revokeForGrants(c, granted, [m.userId]);
    return c.body(null, 204);
  });

  app.get("/users/:id/groups", authenticate(), requireSelfOrRole("admin"), async (c) => {
    const { db } = c.var.deps;
    const user = await getUser(db, c.req.param("id"));
    const rows = await db.select({ group: groups }).from(groupMembers).innerJoin(groups, eq(groups.id, groupMembers.groupId)).where(eq(groupMembers.userId, user.id)).orderBy(groups.name);
    return c.json({ groups: rows.map((r) => ({ ...groupView(r.group, v3Base(c)), membership_expires_at: null })), links: collectionLinks(c) });
  });

  return app;
}
