import { and, eq, inArray, or, type SQL } from "drizzle-orm";
import { Hono } from "hono";
import { applicationCredentials, assignments, domains, groups, projects, roles, users } from "../../db/schema.js";
import { authenticate, requireRole, requireRoleOr } from "../../lib/auth.js";
import type { AppEnv } from "../../lib/context.js";
import { forbidden } from "../../lib/errors.js";
import { collectionLinks, duplicateOf, newId, parseBody, parseBool, revokeTokens, storeUnique, v3Base, type Ctx } from "./common.js";
import { domainCreate, domainUpdate } from "./schemas.js";
import { getDomain } from "./store.js";
import { domainView, type DomainRow } from "./views.js";

export const DEFAULT_DOMAIN = "default";
const duplicate = (name: string) => duplicateOf("domain", `Duplicate entry found with name ${name}.`);

/** Creates a domain (also reached as POST /projects with is_domain). */
export async function createDomain(c: Ctx, d: { name: string; description?: string; enabled?: boolean; tags?: string[] }): Promise<DomainRow> {
  const values = { id: newId(), name: d.name, description: d.description ?? "", enabled: d.enabled ?? true, tags: d.tags ?? [] };
  const [row] = await storeUnique(() => c.var.deps.db.insert(domains).values(values).returning(), () => duplicate(d.name));
  return row;
}

/** Updates a domain; disabling it revokes the tokens of its users and projects. */
export async function updateDomain(c: Ctx, current: DomainRow, d: { name?: string; description?: string; enabled?: boolean; tags?: string[] }): Promise<DomainRow> {
  if (current.id === DEFAULT_DOMAIN && d.enabled === false) throw forbidden("The default domain cannot be disabled.");
  const set = { name: d.name, description: d.description, enabled: d.enabled, tags: d.tags, updatedAt: new Date().toISOString() };
  const [row] = await storeUnique(() => c.var.deps.db.update(domains).set(set).where(eq(domains.id, current.id)).returning(), () => duplicate(d.name ?? ""));
  if (current.enabled && !row.enabled) await revokeTokens(c, { domainId: row.id });
  return row;
}

/** Deletes a disabled domain and, as Keystone does, everything it owns: users, groups, projects, its roles and their grants. */
export async function deleteDomain(c: Ctx, current: DomainRow): Promise<void> {
  if (current.id === DEFAULT_DOMAIN) throw forbidden("The default domain cannot be deleted.");
  if (current.enabled) throw forbidden("Cannot delete a domain that is enabled, please disable it first.");
  await c.var.deps.db.transaction(async (tx) => {
    const userIds = tx.select({ id: users.id }).from(users).where(eq(users.domainId, current.id));
    const groupIds = tx.select({ id: groups.id }).from(groups).where(eq(groups.domainId, current.id));
    const projectIds = tx.select({ id: projects.id }).from(projects).where(eq(projects.domainId, current.id));
    await tx.delete(assignments).where(or(
      and(eq(assignments.actorType, "user"), inArray(assignments.actorId, userIds)),
      and(eq(assignments.actorType, "group"), inArray(assignments.actorId, groupIds)),
      and(eq(assignments.targetType, "project"), inArray(assignments.targetId, projectIds)),
      and(eq(assignments.targetType, "domain"), eq(assignments.targetId, current.id)),
    ));
    await tx.delete(applicationCredentials).where(inArray(applicationCredentials.projectId, projectIds));
    // Memberships, application credentials and rules go with their users, groups and roles (foreign keys).
    await tx.delete(users).where(eq(users.domainId, current.id));
    await tx.delete(groups).where(eq(groups.domainId, current.id));
    await tx.delete(projects).where(eq(projects.domainId, current.id));
    await tx.delete(roles).where(eq(roles.domainId, current.id));
    await tx.delete(domains).where(eq(domains.id, current.id));
  }, { behavior: "immediate" });
  await revokeTokens(c, { domainId: current.id });
}

/** Whether the caller's token is scoped to this domain or to a project in it (Keystone lets them read it). */
const ownDomain = (c: Ctx) => [c.var.auth.claims.pdom, c.var.auth.claims.did].includes(c.req.param("id"));

/** Keystone v3 domains: list, show, create, update, delete (only once disabled). */
export function domainRoutes() {
  const app = new Hono<AppEnv>();
  const admin = [authenticate(), requireRole("admin")] as const;

  app.get("/domains", ...admin, async (c) => {
    const conds: SQL[] = [];
    const { name, enabled } = c.req.query();
    if (name !== undefined) conds.push(eq(domains.name, name));
    if (enabled !== undefined) conds.push(eq(domains.enabled, parseBool(enabled)));
    const rows = await c.var.deps.db.select().from(domains).where(and(...conds)).orderBy(domains.name);
    return c.json({ domains: rows.map((d) => domainView(d, v3Base(c))), links: collectionLinks(c) });
  });

  app.post("/domains", ...admin, async (c) => {
    const { domain: d } = await parseBody(c, domainCreate);
    return c.json({ domain: domainView(await createDomain(c, d), v3Base(c)) }, 201);
  });

  app.get("/domains/:id", authenticate(), requireRoleOr("admin", ownDomain), async (c) => {
    return c.json({ domain: domainView(await getDomain(c.var.deps.db, c.req.param("id")), v3Base(c)) });
  });

  app.patch("/domains/:id", ...admin, async (c) => {
    const current = await getDomain(c.var.deps.db, c.req.param("id"));
    const { domain: d } = await parseBody(c, domainUpdate);
    return c.json({ domain: domainView(await updateDomain(c, current, d), v3Base(c)) });
  });

  app.delete("/domains/:id", ...admin, async (c) => {
    await deleteDomain(c, await getDomain(c.var.deps.db, c.req.param("id")));
    return c.body(null, 204);
  });

  return app;
}
