import { and, eq, inArray, type SQL } from "drizzle-orm";
import { Hono } from "hono";
import type { DbOrTx } from "../../db/client.js";
import { domains, projects, roleAssignments, roles, users } from "../../db/schema.js";
import { authenticate, requireRole } from "../../lib/auth.js";
import type { AppEnv } from "../../lib/context.js";
import { badRequest, notFound } from "../../lib/errors.js";
import { collectionLinks, queryFlag, revokeTokens, v3Base, type Ctx } from "./common.js";
import { expandImplied, type Assignment } from "./inference.js";
import { getProject, getRole, getUser, hasAssignment } from "./store.js";
import { assignmentView, roleView, type AssignmentNames } from "./views.js";

const GRANT = "/projects/:project_id/users/:user_id/roles/:role_id";

/** The grant named by the path; Keystone's 404 for whichever of project, user and role is unknown. */
async function grantOf(c: Ctx): Promise<Required<Omit<Assignment, "priorRoleId">>> {
  const { db } = c.var.deps;
  const project = await getProject(db, c.req.param("project_id")!);
  const user = await getUser(db, c.req.param("user_id")!);
  const role = await getRole(db, c.req.param("role_id")!);
  return { projectId: project.id, userId: user.id, roleId: role.id };
}

const grantNotFound = (g: Assignment) =>
  notFound(`Could not find role assignment with role: ${g.roleId}, user or group: ${g.userId}, project, domain, or system: ${g.projectId}.`, "RoleAssignmentNotFound");

async function namesFor(db: DbOrTx, list: Assignment[]): Promise<AssignmentNames> {
  const userIds = [...new Set(list.map((a) => a.userId))];
  const projectIds = [...new Set(list.map((a) => a.projectId))];
  const [u, p, r, d] = await Promise.all([
    userIds.length ? db.select({ id: users.id, name: users.name, domainId: users.domainId }).from(users).where(inArray(users.id, userIds)) : [],
    projectIds.length ? db.select({ id: projects.id, name: projects.name, domainId: projects.domainId }).from(projects).where(inArray(projects.id, projectIds)) : [],
    db.select({ id: roles.id, name: roles.name }).from(roles),
    db.select({ id: domains.id, name: domains.name }).from(domains),
  ]);
  return {
    users: new Map(u.map((x) => [x.id, x])),
    projects: new Map(p.map((x) => [x.id, x])),
    roles: new Map(r.map((x) => [x.id, x.name])),
    domains: new Map(d.map((x) => [x.id, x.name])),
  };
}

/** Keystone's checks on filter combinations; true when the filters can only match nothing here. */
function matchesNothing(q: Record<string, string>, effective: boolean): boolean {
  if (q["scope.domain.id"] && q["scope.project.id"]) throw badRequest("Specify a domain or project, not both", "ValidationError");
  if (q["user.id"] && q["group.id"]) throw badRequest("Specify a user or group, not both", "ValidationError");
  if (effective && q["group.id"]) throw badRequest("Combining effective and group filter will always result in an empty list.", "ValidationError");
  // Only users hold roles, and only on projects: group, domain, system and inherited filters find none.
  return ["group.id", "scope.domain.id", "scope.system", "scope.OS-INHERIT:inherited_to"].some((k) => q[k] !== undefined);
}

/** Role grants of users on projects, and Keystone's role assignment listing. */
export function assignmentRoutes() {
  const app = new Hono<AppEnv>();

  app.put(GRANT, authenticate(), requireRole("admin"), async (c) => {
    await c.var.deps.db.insert(roleAssignments).values(await grantOf(c)).onConflictDoNothing();
    return c.body(null, 204);
  });

  // HEAD is answered by this GET handler (Hono strips the body).
  app.get(GRANT, authenticate(), requireRole("admin"), async (c) => {
    const grant = await grantOf(c);
    if (!(await hasAssignment(c.var.deps.db, grant))) throw grantNotFound(grant);
    return c.body(null, 204);
  });

  app.delete(GRANT, authenticate(), requireRole("admin"), async (c) => {
    const grant = await grantOf(c);
    const where = and(eq(roleAssignments.projectId, grant.projectId), eq(roleAssignments.userId, grant.userId), eq(roleAssignments.roleId, grant.roleId));
    const deleted = await c.var.deps.db.delete(roleAssignments).where(where).returning();
    if (deleted.length === 0) throw grantNotFound(grant);
    await revokeTokens(c, { userId: grant.userId, projectId: grant.projectId });
    return c.body(null, 204);
  });

  app.get("/projects/:project_id/users/:user_id/roles", authenticate(), requireRole("admin"), async (c) => {
    const { db } = c.var.deps;
    const project = await getProject(db, c.req.param("project_id"));
    const user = await getUser(db, c.req.param("user_id"));
    const rows = await db.select({ role: roles }).from(roleAssignments).innerJoin(roles, eq(roles.id, roleAssignments.roleId))
      .where(and(eq(roleAssignments.projectId, project.id), eq(roleAssignments.userId, user.id))).orderBy(roles.name);
    return c.json({ roles: rows.map((r) => roleView(r.role, v3Base(c))), links: collectionLinks(c) });
  });

  app.get("/role_assignments", authenticate(), requireRole("admin"), async (c) => {
    const { db } = c.var.deps;
    const q = c.req.query();
    const effective = queryFlag(c, "effective");
    if (matchesNothing(q, effective)) return c.json({ role_assignments: [], links: collectionLinks(c) });
    const conds: SQL[] = [];
    if (q["user.id"]) conds.push(eq(roleAssignments.userId, q["user.id"]));
    if (q["scope.project.id"]) conds.push(eq(roleAssignments.projectId, q["scope.project.id"]));
    const direct: Assignment[] = await db.select().from(roleAssignments).where(and(...conds));
    let list = effective ? expandImplied(direct, await db.select().from(roles)) : direct;
    // After expansion, so that an implied role matches `role.id` too.
    if (q["role.id"]) list = list.filter((a) => a.roleId === q["role.id"]);
    const names = queryFlag(c, "include_names") ? await namesFor(db, list) : undefined;
    return c.json({ role_assignments: list.map((a) => assignmentView(a, v3Base(c), names)), links: collectionLinks(c) });
  });

  return app;
}
