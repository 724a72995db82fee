import { inArray } from "drizzle-orm";
import { Hono } from "hono";
import type { DbOrTx } from "../../db/client.js";
import { domains, groups, projects, users } from "../../db/schema.js";
import { authenticate, requireRole } from "../../lib/auth.js";
import type { AppEnv } from "../../lib/context.js";
import { badRequest } from "../../lib/errors.js";
import { collectionLinks, queryFlag, v3Base } from "../admin/common.js";
import { descendants, effectiveAssignments, type Effective, type Grant, type ProjectNode } from "./engine.js";
import { fullWorld, type RoleInfo } from "./load.js";
import { effectiveView, grantView, type AssignmentNames } from "./views.js";

type Query = Record<string, string>;

/** Keystone's checks on filter combinations. */
function validate(q: Query, effective: boolean): void {
  if (q["scope.domain.id"] && q["scope.project.id"]) throw badRequest("Specify a domain or project, not both", "ValidationError");
  if (q["user.id"] && q["group.id"]) throw badRequest("Specify a user or group, not both", "ValidationError");
  if (effective && q["group.id"]) throw badRequest("Combining effective and group filter will always result in an empty list.", "ValidationError");
}

/** The projects `scope.project.id` selects: the project, and with `include_subtree` those below it. */
function projectFilter(q: Query, projectNodes: ProjectNode[], subtree: boolean): Set<string> | undefined {
  const id = q["scope.project.id"];
  if (id === undefined) return undefined;
  return new Set([id, ...(subtree ? descendants(projectNodes, id).map((p) => p.id) : [])]);
}

/** Keeps what the scope and role filters of the query select (both listings share them). */
function inScope(x: { targetType: string; targetId: string; roleId: string }, q: Query, projectIds?: Set<string>): boolean {
  if (projectIds && !(x.targetType === "project" && projectIds.has(x.targetId))) return false;
  if (q["scope.domain.id"] !== undefined && !(x.targetType === "domain" && x.targetId === q["scope.domain.id"])) return false;
  if (q["scope.system"] !== undefined && x.targetType !== "system") return false;
  return q["role.id"] === undefined || x.roleId === q["role.id"];
}

function directGrants(grants: Grant[], q: Query, projectIds?: Set<string>): Grant[] {
  return grants.filter((g) =>
    inScope(g, q, projectIds) &&
    (q["user.id"] === undefined || (g.actorType === "user" && g.actorId === q["user.id"])) &&
    (q["group.id"] === undefined || (g.actorType === "group" && g.actorId === q["group.id"])) &&
    (q["scope.OS-INHERIT:inherited_to"] === undefined || g.inherited));
}

async function namesFor(db: DbOrTx, userIds: string[], groupIds: string[], projectIds: string[], roles: RoleInfo[]): Promise<AssignmentNames> {
  const [u, g, p, d] = await Promise.all([
    userIds.length ? db.select({ id: users.id, name: users.name, domainId: users.domainId }).from(users).where(inArray(users.id, userIds)) : [],
    groupIds.length ? db.select({ id: groups.id, name: groups.name, domainId: groups.domainId }).from(groups).where(inArray(groups.id, groupIds)) : [],
    projectIds.length ? db.select({ id: projects.id, name: projects.name, domainId: projects.domainId }).from(projects).where(inArray(projects.id, projectIds)) : [],
    db.select({ id: domains.id, name: domains.name }).from(domains),
  ]);
  return {
    users: new Map(u.map((x) => [x.id, x])), groups: new Map(g.map((x) => [x.id, x])), projects: new Map(p.map((x) => [x.id, x])),
    domains: new Map(d.map((x) => [x.id, x.name])), roles: new Map(roles.map((r) => [r.id, r])),
  };
}

/** GET /v3/role_assignments: stored grants, or with `effective` what each user ends up holding. */
export function assignmentListRoutes() {
  const app = new Hono<AppEnv>();

  app.get("/role_assignments", authenticate(), requireRole("admin"), async (c) => {
    const { db } = c.var.deps;
    const q = c.req.query();
    const effective = queryFlag(c, "effective");
    validate(q, effective);
    const { grants, world } = await fullWorld(db);
    const projectIds = projectFilter(q, world.projects, queryFlag(c, "include_subtree"));
    const withNames = queryFlag(c, "include_names");
    if (!effective) {
      const list = directGrants(grants, q, projectIds);
      const names = withNames ? await namesFor(db, list.filter((g) => g.actorType === "user").map((g) => g.actorId), list.filter((g) => g.actorType === "group").map((g) => g.actorId), list.filter((g) => g.targetType === "project").map((g) => g.targetId), world.roles) : undefined;
      return c.json({ role_assignments: list.map((g) => grantView(g, v3Base(c), names)), links: collectionLinks(c) });
    }
    const list: Effective[] = effectiveAssignments(grants, world).filter((e) => inScope(e, q, projectIds) && (q["user.id"] === undefined || e.userId === q["user.id"]));
    const names = withNames ? await namesFor(db, list.map((e) => e.userId), [], list.filter((e) => e.targetType === "project").map((e) => e.targetId), world.roles) : undefined;
    return c.json({ role_assignments: list.map((e) => effectiveView(e, v3Base(c), names)), links: collectionLinks(c) });
  });

  return app;
}
