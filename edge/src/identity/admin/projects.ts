import { and, eq, isNull, or, type SQL } from "drizzle-orm";
import { Hono } from "hono";
import { applicationCredentials, assignments, domains, projects } from "../../db/schema.js";
import { authenticate, requireRole } from "../../lib/auth.js";
import type { AppEnv } from "../../lib/context.js";
import { badRequest, forbidden } from "../../lib/errors.js";
import { collectionLinks, duplicateOf, newId, notFoundOf, parseBody, parseBool, revokeTokens, storeUnique, v3Base, type Ctx } from "./common.js";
import { createDomain, deleteDomain, updateDomain } from "./domains.js";
import { matchesTagFilters } from "./project-tags.js";
import { projectCreate, projectUpdate } from "./schemas.js";
import { getDomain } from "./store.js";
import { domainAsProjectView, projectView } from "./views.js";

const duplicate = (name: string) =>
  duplicateOf("project", `it is not permitted to have two projects with the same name in the same domain : ${name}.`);

/** The filters of GET /v3/projects as SQL conditions (`parent_id` of a top-level project is its domain). */
function listFilters(q: Record<string, string>): SQL[] {
  const conds: SQL[] = [];
  if (q.name !== undefined) conds.push(eq(projects.name, q.name));
  if (q.domain_id !== undefined) conds.push(eq(projects.domainId, q.domain_id));
  if (q.enabled !== undefined) conds.push(eq(projects.enabled, parseBool(q.enabled)));
  if (q.parent_id !== undefined) conds.push(or(eq(projects.parentId, q.parent_id), and(isNull(projects.parentId), eq(projects.domainId, q.parent_id)))!);
  return conds;
}

/** Domains answer the projects API as Keystone's projects acting as domains (`is_domain`). */
function domainFilters(q: Record<string, string>): SQL[] | null {
  if (q.domain_id !== undefined || q.parent_id !== undefined) return null; // a domain has neither
  const conds: SQL[] = [];
  if (q.name !== undefined) conds.push(eq(domains.name, q.name));
  if (q.enabled !== undefined) conds.push(eq(domains.enabled, parseBool(q.enabled)));
  return conds;
}

/** A project by id, or the domain of that id seen as a project; Keystone's 404 if neither. */
async function projectOrDomain(c: Ctx, id: string) {
  const { db } = c.var.deps;
  const project = (await db.select().from(projects).where(eq(projects.id, id)).limit(1))[0];
  if (project) return { project };
  const domain = (await db.select().from(domains).where(eq(domains.id, id)).limit(1))[0];
  if (domain) return { domain };
  throw notFoundOf("project", id);
}

/** Domain and parent of a new project: explicit, else the parent's, else the caller's. */
async function placement(c: Ctx, p: { domain_id?: string | null; parent_id?: string | null }) {
  const { db } = c.var.deps;
  const parent = p.parent_id ? (await db.select().from(projects).where(eq(projects.id, p.parent_id)).limit(1))[0] : undefined;
  const domainId = p.domain_id ?? parent?.domainId ?? c.var.auth.claims.pdom ?? "default";
  await getDomain(db, domainId);
  // A parent_id naming the domain itself means a top-level project, as in Keystone.
  if (p.parent_id && !parent && p.parent_id !== domainId) throw notFoundOf("project", p.parent_id);
  if (parent && parent.domainId !== domainId) throw badRequest(`Cannot create project, the parent (${parent.id}) is in a different domain (${parent.domainId}).`, "ValidationError");
  return { domainId, parentId: parent?.id ?? null };
}

/** Keystone v3 projects: create, list, show, update, delete. Disabling or deleting revokes tokens. */
export function projectRoutes() {
  const app = new Hono<AppEnv>();
  const admin = [authenticate(), requireRole("admin")] as const;

  app.post("/projects", ...admin, async (c) => {
    const { project: p } = await parseBody(c, projectCreate);
    if (p.is_domain) {
      if (p.domain_id || p.parent_id) throw badRequest("A project acting as a domain has no domain_id or parent_id.", "ValidationError");
      return c.json({ project: domainAsProjectView(await createDomain(c, p), v3Base(c)) }, 201);
    }
    const { domainId, parentId } = await placement(c, p);
    const values = { id: newId(), name: p.name, domainId, parentId, description: p.description ?? "", enabled: p.enabled ?? true, tags: p.tags ?? [] };
    const [row] = await storeUnique(() => c.var.deps.db.insert(projects).values(values).returning(), () => duplicate(p.name));
    return c.json({ project: projectView(row, v3Base(c)) }, 201);
  });

  app.get("/projects", ...admin, async (c) => {
    const { db } = c.var.deps;
    const q = c.req.query();
    if (q.is_domain !== undefined && parseBool(q.is_domain)) {
      const conds = domainFilters(q);
      const rows = conds ? await db.select().from(domains).where(and(...conds)).orderBy(domains.name) : [];
      return c.json({ projects: rows.map((d) => domainAsProjectView(d, v3Base(c))), links: collectionLinks(c) });
    }
    const rows = (await db.select().from(projects).where(and(...listFilters(q))).orderBy(projects.name)).filter((p) => matchesTagFilters(p.tags, q));
    return c.json({ projects: rows.map((p) => projectView(p, v3Base(c))), links: collectionLinks(c) });
  });

  app.get("/projects/:id", ...admin, async (c) => {
    const { project, domain } = await projectOrDomain(c, c.req.param("id"));
    return c.json({ project: project ? projectView(project, v3Base(c)) : domainAsProjectView(domain!, v3Base(c)) });
  });

  app.patch("/projects/:id", ...admin, async (c) => {
    const { db } = c.var.deps;
    const { project: current, domain } = await projectOrDomain(c, c.req.param("id"));
    const { project: p } = await parseBody(c, projectUpdate);
    if (domain) {
      if (p.is_domain === false || (p.domain_id ?? null) !== null || (p.parent_id ?? null) !== null) throw badRequest("A project acting as a domain cannot change that.", "ValidationError");
      return c.json({ project: domainAsProjectView(await updateDomain(c, domain, p), v3Base(c)) });
    }
    if (!current) throw notFoundOf("project", c.req.param("id"));
    if (p.is_domain) throw badRequest("A project cannot become a domain.", "ValidationError");
    if (p.domain_id !== undefined && p.domain_id !== current.domainId) throw badRequest("Cannot change Domain ID.", "ValidationError");
    if (p.parent_id !== undefined && p.parent_id !== (current.parentId ?? current.domainId)) throw forbidden("Update of `parent_id` is not allowed.");
    const set = { name: p.name, description: p.description, enabled: p.enabled, tags: p.tags, updatedAt: new Date().toISOString() };
    const [row] = await storeUnique(() => db.update(projects).set(set).where(eq(projects.id, current.id)).returning(), () => duplicate(p.name ?? ""));
    if (current.enabled && !row.enabled) await revokeTokens(c, { projectId: row.id });
    return c.json({ project: projectView(row, v3Base(c)) });
  });

  app.delete("/projects/:id", ...admin, async (c) => {
    const { db } = c.var.deps;
    const { project: current, domain } = await projectOrDomain(c, c.req.param("id"));
    if (domain) {
      await deleteDomain(c, domain);
      return c.body(null, 204);
    }
    if (!current) throw notFoundOf("project", c.req.param("id"));
    const child = (await db.select({ id: projects.id }).from(projects).where(eq(projects.parentId, current.id)).limit(1))[0];
    if (child) throw forbidden(`Cannot delete the project ${current.id} since it is not a leaf in the hierarchy.`);
    await db.transaction(async (tx) => {
      await tx.delete(assignments).where(and(eq(assignments.targetType, "project"), eq(assignments.targetId, current.id)));
      await tx.delete(applicationCredentials).where(eq(applicationCredentials.projectId, current.id));
      await tx.delete(projects).where(eq(projects.id, current.id));
    }, { behavior: "immediate" });
    await revokeTokens(c, { projectId: current.id });
    return c.body(null, 204);
  });

  return app;
}
