import { and, eq, inArray, or, type SQL } from "drizzle-orm";
import { Hono } from "hono";
import { domains, projects, roleAssignments, users } from "../../db/schema.js";
import { authenticate, requireRole } from "../../lib/auth.js";
import type { AppEnv } from "../../lib/context.js";
import { forbidden } from "../../lib/errors.js";
import { collectionLinks, duplicateOf, newId, parseBody, parseBool, revokeTokens, storeUnique, v3Base } from "./common.js";
import { domainCreate, domainUpdate } from "./schemas.js";
import { getDomain } from "./store.js";
import { domainView } from "./views.js";

const DEFAULT = "default";
const duplicate = (name: string) => duplicateOf("domain", `Duplicate entry found with name ${name}.`);

/** Keystone v3 domains: list, show, create, update, delete (only once disabled). */
export function domainRoutes() {
  const app = new Hono<AppEnv>();

  app.get("/domains", authenticate(), requireRole("admin"), async (c) => {
    const conds: SQL[] = [];
    const { name, enabled } = c.req.query();
    if (name !== undefined) conds.push(eq(domains.name, name));
    if (enabled !== undefined) conds.push(eq(domains.enabled, parseBool(enabled)));
    const rows = await c.var.deps.db.select().from(domains).where(and(...conds)).orderBy(domains.name);
    return c.json({ domains: rows.map((d) => domainView(d, v3Base(c))), links: collectionLinks(c) });
  });

  app.post("/domains", authenticate(), requireRole("admin"), async (c) => {
    const { domain: d } = await parseBody(c, domainCreate);
    const values = { id: newId(), name: d.name, description: d.description ?? "", enabled: d.enabled ?? true, tags: d.tags ?? [] };
    const [row] = await storeUnique(() => c.var.deps.db.insert(domains).values(values).returning(), () => duplicate(d.name));
    return c.json({ domain: domainView(row, v3Base(c)) }, 201);
  });

  app.get("/domains/:id", authenticate(), requireRole("admin"), async (c) => {
    return c.json({ domain: domainView(await getDomain(c.var.deps.db, c.req.param("id")), v3Base(c)) });
  });

  app.patch("/domains/:id", authenticate(), requireRole("admin"), async (c) => {
    const { db } = c.var.deps;
    const current = await getDomain(db, c.req.param("id"));
    const { domain: d } = await parseBody(c, domainUpdate);
    if (current.id === DEFAULT && d.enabled === false) throw forbidden("The default domain cannot be disabled.");
    const set = { name: d.name, description: d.description, enabled: d.enabled, tags: d.tags, updatedAt: new Date().toISOString() };
    const [row] = await storeUnique(() => db.update(domains).set(set).where(eq(domains.id, current.id)).returning(), () => duplicate(d.name ?? ""));
    if (current.enabled && !row.enabled) await revokeTokens(c, { domainId: row.id });
    return c.json({ domain: domainView(row, v3Base(c)) });
  });

  app.delete("/domains/:id", authenticate(), requireRole("admin"), async (c) => {
    const { db } = c.var.deps;
    const current = await getDomain(db, c.req.param("id"));
    if (current.id === DEFAULT) throw forbidden("The default domain cannot be deleted.");
    if (current.enabled) throw forbidden("Cannot delete a domain that is enabled, please disable it first.");
    // Like Keystone, deleting a domain deletes the users and projects it owns.
    await db.transaction(async (tx) => {
      const userIds = tx.select({ id: users.id }).from(users).where(eq(users.domainId, current.id));
      const projectIds = tx.select({ id: projects.id }).from(projects).where(eq(projects.domainId, current.id));
      await tx.delete(roleAssignments).where(or(inArray(roleAssignments.userId, userIds), inArray(roleAssignments.projectId, projectIds)));
      await tx.delete(users).where(eq(users.domainId, current.id));
      await tx.delete(projects).where(eq(projects.domainId, current.id));
      await tx.delete(domains).where(eq(domains.id, current.id));
    }, { behavior: "immediate" });
    await revokeTokens(c, { domainId: current.id });
    return c.body(null, 204);
  });

  return app;
}
