import { and, eq } from "drizzle-orm";
import { Hono } from "hono";
import type { DbOrTx } from "../../db/client.js";
import { assignments, groupMembers, projects, roles } from "../../db/schema.js";
import { authenticate, requireRole } from "../../lib/auth.js";
import type { AppEnv } from "../../lib/context.js";
import { forbidden, notFound } from "../../lib/errors.js";
import { collectionLinks, revokeTokens, v3Base, type Ctx } from "../admin/common.js";
import { getDomain, getGroup, getProject, getRole, getUser } from "../admin/store.js";
import { roleView } from "../admin/views.js";
import type { ActorType, Grant, TargetType } from "./engine.js";
import { revocationsForGrant } from "./revoke.js";

/** One kind of grant: who holds it, on what, and whether it is inherited by the projects below. */
interface Kind { targetType: TargetType; actorType: ActorType; inherited: boolean }

const plural = { user: "users", group: "groups", project: "projects", domain: "domains", system: "system" } as const;

/** Keystone's URL patterns for a kind of grant; `list` is absent where Keystone has no listing. */
function pathsOf(k: Kind): { one: string; list?: string } {
  const actor = `${plural[k.actorType]}/:actor/roles`;
  if (k.targetType === "system") return { one: `/system/${actor}/:role`, list: `/system/${actor}` };
  const target = `/${plural[k.targetType]}/:target/${actor}`;
  if (!k.inherited) return { one: `${target}/:role`, list: target };
  return { one: `/OS-INHERIT${target}/:role/inherited_to_projects`, list: k.targetType === "domain" ? `/OS-INHERIT${target}/inherited_to_projects` : undefined };
}

const ACTORS = ["user", "group"] as const;
const KINDS: Kind[] = [
  ...(["project", "domain"] as const).flatMap((targetType) => ACTORS.flatMap((actorType) => [false, true].map((inherited) => ({ targetType, actorType, inherited })))),
  ...ACTORS.map((actorType) => ({ targetType: "system" as const, actorType, inherited: false })),
];

/** Checks that the target and actor exist; returns the target's domain ("" for the system). */
async function resolveParts(db: DbOrTx, k: Kind, c: Ctx): Promise<{ targetId: string; actorId: string; targetDomain: string }> {
  const actorId = (k.actorType === "user" ? await getUser(db, c.req.param("actor")!) : await getGroup(db, c.req.param("actor")!)).id;
  if (k.targetType === "system") return { targetId: "system", actorId, targetDomain: "" };
  if (k.targetType === "project") {
    const p = await getProject(db, c.req.param("target")!);
    return { targetId: p.id, actorId, targetDomain: p.domainId };
  }
  return { targetId: (await getDomain(db, c.req.param("target")!)).id, actorId, targetDomain: c.req.param("target")! };
}

/** The grant named by the path; Keystone's 404 for whichever part is unknown. */
async function grantOf(c: Ctx, k: Kind): Promise<{ grant: Grant; targetDomain: string; roleDomain: string | null }> {
  const { db } = c.var.deps;
  const { targetId, actorId, targetDomain } = await resolveParts(db, k, c);
  const role = await getRole(db, c.req.param("role")!);
  return { grant: { ...k, targetId, actorId, roleId: role.id }, targetDomain, roleDomain: role.domainId };
}

const whereGrant = (g: Grant) =>
  and(eq(assignments.actorType, g.actorType), eq(assignments.actorId, g.actorId), eq(assignments.targetType, g.targetType),
    eq(assignments.targetId, g.targetId), eq(assignments.roleId, g.roleId), eq(assignments.inherited, g.inherited));

const grantNotFound = (g: Grant) =>
  notFound(`Could not find role assignment with role: ${g.roleId}, user or group: ${g.actorId}, project, domain, or system: ${g.targetId}.`, "RoleAssignmentNotFound");

/** Revokes the tokens removed grants may have contributed roles to (for `userIds` when given, else all holders). */
export async function revokeForGrants(c: Ctx, grants: Grant[], userIds?: string[]): Promise<void> {
  const { db } = c.var.deps;
  const tree = grants.some((g) => g.inherited && g.targetType === "project") ? await db.select({ id: projects.id, domainId: projects.domainId, parentId: projects.parentId }).from(projects) : [];
  const matches = [];
  for (const g of grants) {
    const holders = userIds ?? (g.actorType === "user" ? [g.actorId]
      : (await db.select({ id: groupMembers.userId }).from(groupMembers).where(eq(groupMembers.groupId, g.actorId))).map((m) => m.id));
    matches.push(...revocationsForGrant(g, holders, tree));
  }
  await revokeTokens(c, matches);
}

/** Role grants to users and groups on projects, domains and the system, inherited or not (OS-INHERIT). */
export function grantRoutes() {
  const app = new Hono<AppEnv>();
  const guard = [authenticate(), requireRole("admin")] as const;

  for (const kind of KINDS) {
    const { one, list } = pathsOf(kind);

    app.put(one, ...guard, async (c) => {
      const { grant, targetDomain, roleDomain } = await grantOf(c, kind);
      if (roleDomain !== null && roleDomain !== targetDomain) throw forbidden(`Role ${grant.roleId} is specific to domain ${roleDomain}: it cannot be granted on a target outside it.`);
      await c.var.deps.db.insert(assignments).values(grant).onConflictDoNothing();
      return c.body(null, 204);
    });

    // HEAD is answered by this GET handler (Hono strips the body).
    app.get(one, ...guard, async (c) => {
      const { grant } = await grantOf(c, kind);
      if ((await c.var.deps.db.select().from(assignments).where(whereGrant(grant)).limit(1)).length === 0) throw grantNotFound(grant);
      return c.body(null, 204);
    });

    app.delete(one, ...guard, async (c) => {
      const { grant } = await grantOf(c, kind);
      const deleted = await c.var.deps.db.delete(assignments).where(whereGrant(grant)).returning();
      if (deleted.length === 0) throw grantNotFound(grant);
      await revokeForGrants(c, [grant]);
      return c.body(null, 204);
    });

    if (list) {
      app.get(list, ...guard, async (c) => {
        const { db } = c.var.deps;
        const { targetId, actorId } = await resolveParts(db, kind, c);
        const where = and(eq(assignments.actorType, kind.actorType), eq(assignments.actorId, actorId), eq(assignments.targetType, kind.targetType),
          eq(assignments.targetId, targetId), eq(assignments.inherited, kind.inherited));
        const rows = await db.select({ role: roles }).from(assignments).innerJoin(roles, eq(roles.id, assignments.roleId)).where(where).orderBy(roles.name);
        return c.json({ roles: rows.map((r) => roleView(r.role, v3Base(c))), links: collectionLinks(c) });
      });
    }
  }

  return app;
}
