import { and, eq, type SQL } from "drizzle-orm";
import { Hono } from "hono";
import type { DbOrTx } from "../../db/client.js";
import { services } from "../../db/schema.js";
import { authenticate, requireRole } from "../../lib/auth.js";
import type { AppEnv } from "../../lib/context.js";
import { collectionLinks, newId, notFoundOf, parseBody, v3Base } from "../admin/common.js";
import { extrasOf, SERVICE_FIELDS, serviceCreate, serviceUpdate } from "./schemas.js";
import { serviceView } from "./views.js";

export async function getService(db: DbOrTx, id: string) {
  const row = (await db.select().from(services).where(eq(services.id, id)).limit(1))[0];
  if (!row) throw notFoundOf("service", id);
  return row;
}

/** Keystone v3 services; deleting one deletes its endpoints (foreign key). */
export function serviceRoutes() {
  const app = new Hono<AppEnv>();
  const admin = [authenticate(), requireRole("admin")] as const;

  app.post("/services", ...admin, async (c) => {
    const { service: s } = await parseBody(c, serviceCreate);
    const values = { id: newId(), type: s.type, name: s.name ?? "", description: s.description ?? "", enabled: s.enabled ?? true, extra: extrasOf(s, SERVICE_FIELDS) };
    const [row] = await c.var.deps.db.insert(services).values(values).returning();
    return c.json({ service: serviceView(row, v3Base(c)) }, 201);
  });

  app.get("/services", ...admin, async (c) => {
    const { type, name } = c.req.query();
    const conds: SQL[] = [];
    if (type !== undefined) conds.push(eq(services.type, type));
    if (name !== undefined) conds.push(eq(services.name, name));
    const rows = await c.var.deps.db.select().from(services).where(and(...conds)).orderBy(services.type);
    return c.json({ services: rows.map((s) => serviceView(s, v3Base(c))), links: collectionLinks(c) });
  });

  app.get("/services/:id", ...admin, async (c) => c.json({ service: serviceView(await getService(c.var.deps.db, c.req.param("id")), v3Base(c)) }));

  app.patch("/services/:id", ...admin, async (c) => {
    const { db } = c.var.deps;
    const current = await getService(db, c.req.param("id"));
    const { service: s } = await parseBody(c, serviceUpdate);
    const set = { type: s.type, name: s.name === null ? "" : s.name, description: s.description, enabled: s.enabled, extra: { ...current.extra, ...extrasOf(s, SERVICE_FIELDS) } };
    const [row] = await db.update(services).set(set).where(eq(services.id, current.id)).returning();
    return c.json({ service: serviceView(row, v3Base(c)) });
  });

  app.delete("/services/:id", ...admin, async (c) => {
    const { db } = c.var.deps;
    const current = await getService(db, c.req.param("id"));
    await db.delete(services).where(eq(services.id, current.id));
    return c.body(null, 204);
  });

  return app;
}
