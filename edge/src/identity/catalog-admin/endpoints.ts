import { and, eq, type SQL } from "drizzle-orm";
import { Hono } from "hono";
import type { DbOrTx } from "../../db/client.js";
import { endpoints, regions } from "../../db/schema.js";
import { authenticate, requireRole } from "../../lib/auth.js";
import type { AppEnv } from "../../lib/context.js";
import { badRequest } from "../../lib/errors.js";
import { publicBase } from "../../lib/urls.js";
import { collectionLinks, newId, notFoundOf, parseBody, v3Base, type Ctx } from "../admin/common.js";
import { ENDPOINT_FIELDS, endpointCreate, endpointUpdate, extrasOf } from "./schemas.js";
import { getService } from "./services.js";
import { endpointView } from "./views.js";

async function getEndpoint(db: DbOrTx, id: string) {
  const row = (await db.select().from(endpoints).where(eq(endpoints.id, id)).limit(1))[0];
  if (!row) throw notFoundOf("endpoint", id);
  return row;
}

/**
 * The region an endpoint names (region_id, or the older `region`): undefined leaves it as it is,
 * null clears it, and as in Keystone an id that names no region yet creates it.
 */
async function regionOf(db: DbOrTx, e: { region_id?: string | null; region?: string | null }): Promise<string | null | undefined> {
  if (e.region_id && e.region && e.region_id !== e.region) throw badRequest("region and region_id differ.", "ValidationError");
  const given = e.region_id !== undefined ? e.region_id : e.region;
  if (given) await db.insert(regions).values({ id: given }).onConflictDoNothing();
  return given;
}

const view = (c: Ctx, row: typeof endpoints.$inferSelect) => endpointView(row, v3Base(c), publicBase(c));

/** Keystone v3 endpoints: a service's URL for one interface in one region. */
export function endpointRoutes() {
  const app = new Hono<AppEnv>();
  const admin = [authenticate(), requireRole("admin")] as const;

  app.post("/endpoints", ...admin, async (c) => {
    const { db } = c.var.deps;
    const { endpoint: e } = await parseBody(c, endpointCreate);
    await getService(db, e.service_id);
    const values = {
      id: newId(), serviceId: e.service_id, interface: e.interface, url: e.url, regionId: (await regionOf(db, e)) ?? null,
      enabled: e.enabled ?? true, extra: extrasOf(e, ENDPOINT_FIELDS),
    };
    const [row] = await db.insert(endpoints).values(values).returning();
    return c.json({ endpoint: view(c, row) }, 201);
  });

  app.get("/endpoints", ...admin, async (c) => {
    const q = c.req.query();
    const conds: SQL[] = [];
    if (q.service_id !== undefined) conds.push(eq(endpoints.serviceId, q.service_id));
    if (q.interface !== undefined) conds.push(eq(endpoints.interface, q.interface));
    if (q.region_id !== undefined) conds.push(eq(endpoints.regionId, q.region_id));
    const rows = await c.var.deps.db.select().from(endpoints).where(and(...conds)).orderBy(endpoints.id);
    return c.json({ endpoints: rows.map((e) => view(c, e)), links: collectionLinks(c) });
  });

  app.get("/endpoints/:id", ...admin, async (c) => c.json({ endpoint: view(c, await getEndpoint(c.var.deps.db, c.req.param("id"))) }));

  app.patch("/endpoints/:id", ...admin, async (c) => {
    const { db } = c.var.deps;
    const current = await getEndpoint(db, c.req.param("id"));
    const { endpoint: e } = await parseBody(c, endpointUpdate);
    if (e.service_id !== undefined) await getService(db, e.service_id);
    const set = {
      serviceId: e.service_id, interface: e.interface, url: e.url, regionId: await regionOf(db, e), enabled: e.enabled,
      extra: { ...current.extra, ...extrasOf(e, ENDPOINT_FIELDS) },
    };
    const [row] = await db.update(endpoints).set(set).where(eq(endpoints.id, current.id)).returning();
    return c.json({ endpoint: view(c, row) });
  });

  app.delete("/endpoints/:id", ...admin, async (c) => {
    const { db } = c.var.deps;
    await db.delete(endpoints).where(eq(endpoints.id, (await getEndpoint(db, c.req.param("id"))).id));
    return c.body(null, 204);
  });

  return app;
}
