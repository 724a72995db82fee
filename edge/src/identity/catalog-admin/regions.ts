import { eq } from "drizzle-orm";
import { Hono } from "hono";
import type { DbOrTx } from "../../db/client.js";
import { endpoints, regions } from "../../db/schema.js";
import { authenticate, requireRole } from "../../lib/auth.js";
import type { AppEnv } from "../../lib/context.js";
import { badRequest, conflict } from "../../lib/errors.js";
import { collectionLinks, duplicateOf, newId, notFoundOf, parseBody, storeUnique, v3Base, type Ctx } from "../admin/common.js";
import { extrasOf, REGION_FIELDS, regionBody } from "./schemas.js";
import { regionView } from "./views.js";

export async function getRegion(db: DbOrTx, id: string) {
  const row = (await db.select().from(regions).where(eq(regions.id, id)).limit(1))[0];
  if (!row) throw notFoundOf("region", id);
  return row;
}

/** Whether making `parentId` the parent of `id` would close a loop. */
async function wouldLoop(db: DbOrTx, id: string, parentId: string): Promise<boolean> {
  for (let p: string | null = parentId, hops = 0; p && hops < 100; hops++) {
    if (p === id) return true;
    p = (await db.select({ parent: regions.parentRegionId }).from(regions).where(eq(regions.id, p)).limit(1))[0]?.parent ?? null;
  }
  return false;
}

async function createRegion(c: Ctx, id: string, r: { description?: string; parent_region_id?: string | null } & Record<string, unknown>) {
  const { db } = c.var.deps;
  if (r.parent_region_id) await getRegion(db, r.parent_region_id);
  const values = { id, description: r.description ?? "", parentRegionId: r.parent_region_id ?? null, extra: extrasOf(r, REGION_FIELDS) };
  const [row] = await storeUnique(() => db.insert(regions).values(values).returning(), () => duplicateOf("region", `Duplicate ID, ${id}.`));
  return c.json({ region: regionView(row, v3Base(c)) }, 201);
}

/** Keystone v3 regions: nested by parent_region_id; one in use by endpoints or child regions is not deleted. */
export function regionRoutes() {
  const app = new Hono<AppEnv>();
  const admin = [authenticate(), requireRole("admin")] as const;

  app.post("/regions", ...admin, async (c) => {
    const { region: r } = await parseBody(c, regionBody);
    return createRegion(c, r.id ?? newId(), r);
  });

  app.put("/regions/:id", ...admin, async (c) => {
    const { region: r } = await parseBody(c, regionBody);
    if (r.id !== undefined && r.id !== c.req.param("id")) throw badRequest("The region id in the body must match the URL.", "ValidationError");
    return createRegion(c, c.req.param("id"), r);
  });

  app.get("/regions", ...admin, async (c) => {
    const parent = c.req.query("parent_region_id");
    const rows = await c.var.deps.db.select().from(regions).where(parent !== undefined ? eq(regions.parentRegionId, parent) : undefined).orderBy(regions.id);
    return c.json({ regions: rows.map((r) => regionView(r, v3Base(c))), links: collectionLinks(c) });
  });

  app.get("/regions/:id", ...admin, async (c) => c.json({ region: regionView(await getRegion(c.var.deps.db, c.req.param("id")), v3Base(c)) }));

  app.patch("/regions/:id", ...admin, async (c) => {
    const { db } = c.var.deps;
    const current = await getRegion(db, c.req.param("id"));
    const { region: r } = await parseBody(c, regionBody);
    if (r.id !== undefined && r.id !== current.id) throw badRequest("A region's id cannot change.", "ValidationError");
    if (r.parent_region_id) {
      await getRegion(db, r.parent_region_id);
      if (await wouldLoop(db, current.id, r.parent_region_id)) throw badRequest(`Region ${r.parent_region_id} is below ${current.id}: the hierarchy would loop.`, "ValidationError");
    }
    const set = { description: r.description, parentRegionId: r.parent_region_id, extra: { ...current.extra, ...extrasOf(r, REGION_FIELDS) } };
    const [row] = await db.update(regions).set(set).where(eq(regions.id, current.id)).returning();
    return c.json({ region: regionView(row, v3Base(c)) });
  });

  app.delete("/regions/:id", ...admin, async (c) => {
    const { db } = c.var.deps;
    const current = await getRegion(db, c.req.param("id"));
    const used = (await db.select({ id: endpoints.id }).from(endpoints).where(eq(endpoints.regionId, current.id)).limit(1))[0];
    const child = (await db.select({ id: regions.id }).from(regions).where(eq(regions.parentRegionId, current.id)).limit(1))[0];
    if (used || child) throw conflict(`Region ${current.id} is in use by ${used ? `endpoint ${used.id}` : `region ${child!.id}`}.`);
    await db.delete(regions).where(eq(regions.id, current.id));
    return c.body(null, 204);
  });

  return app;
}
