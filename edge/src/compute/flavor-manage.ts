import { and, eq, or } from "drizzle-orm";
import type { Hono } from "hono";
import { z } from "zod";
import type { DbOrTx } from "../db/client.js";
import { flavorExtraSpecs, flavorProjects, flavors, projects } from "../db/schema.js";
import { admin, reader } from "../lib/auth.js";
import type { AppEnv, AuthContext } from "../lib/context.js";
import { ApiError, readJson } from "../lib/errors.js";
import { publicBase } from "../lib/urls.js";
import { microversion } from "./microversion.js";
import { flavorDetail } from "./views.js";

type FlavorRow = (typeof flavors)["$inferSelect"];
const bad = (m: string) => new ApiError(400, m, "badRequest");
const missing = (id: string) => new ApiError(404, `Flavor ${id} could not be found.`, "itemNotFound");

/** Ids of the private flavors the project was given access to. */
export async function accessibleFlavorIds(db: DbOrTx, projectId: string | undefined): Promise<Set<string>> {
  if (!projectId) return new Set();
  return new Set((await db.select().from(flavorProjects).where(eq(flavorProjects.projectId, projectId))).map((r) => r.flavorId));
}

/** A flavor the caller may see: public, or private with access for its project; admins see all. */
export async function findVisibleFlavor(db: DbOrTx, auth: AuthContext, id: string): Promise<FlavorRow> {
  const row = (await db.select().from(flavors).where(eq(flavors.id, id)))[0];
  if (!row) throw missing(id);
  if (row.isPublic || auth.isAdmin) return row;
  if (!(await accessibleFlavorIds(db, auth.projectId)).has(id)) throw missing(id);
  return row;
}

export async function extraSpecsOf(db: DbOrTx, flavorId: string): Promise<Record<string, string>> {
  return Object.fromEntries((await db.select().from(flavorExtraSpecs).where(eq(flavorExtraSpecs.flavorId, flavorId))).map((r) => [r.key, r.value]));
}

const count = (name: string, min: number) => z.union([z.number(), z.string().regex(/^\s*-?\d+\s*$/)]).transform(Number)
  .pipe(z.number().int(`${name} must be an integer`).min(min, `${name} must be >= ${min}`).max(2 ** 31 - 1));
const createBody = z.object({
  flavor: z.object({
    name: z.string().min(1).max(255).refine((s) => s.trim() === s, "name has leading or trailing whitespace"),
    id: z.union([z.string(), z.number().transform(String), z.null()]).pipe(z.union([z.string().min(1).max(255).regex(/^(?! )[a-zA-Z0-9. _-]+(?<! )$/), z.null()])).optional(),
    ram: count("ram", 1), vcpus: count("vcpus", 1), disk: count("disk", 0),
    "OS-FLV-EXT-DATA:ephemeral": count("ephemeral", 0).optional(),
    swap: z.union([count("swap", 0), z.literal("")]).optional(),
    rxtx_factor: z.union([z.number(), z.string()]).transform(Number).pipe(z.number().gt(0).max(3.4e38)).optional(),
    "os-flavor-access:is_public": z.union([z.boolean(), z.enum(["true", "false", "True", "False"]).transform((s) => s.toLowerCase() === "true")]).optional(),
  }).strict(),
});

const specKey = z.string().regex(/^[a-zA-Z0-9-_:. ]{1,255}$/, "extra spec key is invalid");
const specValue = z.union([z.string().max(255), z.number(), z.boolean()]).transform(String);
const specsBody = z.object({ extra_specs: z.record(specKey, specValue) }).strict();

const accessAction = z.union([
  z.object({ addTenantAccess: z.object({ tenant: z.string().min(1) }) }),
  z.object({ removeTenantAccess: z.object({ tenant: z.string().min(1) }) }),
]);

async function accessList(db: DbOrTx, flavorId: string) {
  return (await db.select().from(flavorProjects).where(eq(flavorProjects.flavorId, flavorId))).map((r) => ({ flavor_id: r.flavorId, tenant_id: r.projectId }));
}

/** os-flavor-manage (create/delete), os-extra_specs and os-flavor-access. */
export function registerFlavorManageRoutes(app: Hono<AppEnv>) {
  app.post("/v2.1/flavors", admin(), async (c) => {
    const { flavor: f } = createBody.parse(await readJson(c));
    const { db } = c.var.deps;
    const id = f.id ?? crypto.randomUUID();
    const clash = (await db.select().from(flavors).where(or(eq(flavors.id, id), eq(flavors.name, f.name))))[0];
    if (clash) throw new ApiError(409, clash.id === id ? `Flavor with ID ${id} already exists.` : `Flavor with name ${f.name} already exists.`, "conflictingRequest");
    const [row] = await db.insert(flavors).values({
      id, name: f.name, vcpus: f.vcpus, ramMb: f.ram, diskGb: f.disk, ephemeralGb: f["OS-FLV-EXT-DATA:ephemeral"] ?? 0,
      swapMb: f.swap === "" || f.swap === undefined ? 0 : f.swap, rxtxFactor: f.rxtx_factor ?? 1, isPublic: f["os-flavor-access:is_public"] ?? true,
    }).returning();
    return c.json({ flavor: flavorDetail(row, publicBase(c)) });
  });

  app.delete("/v2.1/flavors/:id", admin(), async (c) => {
    const id = c.req.param("id");
    const { db } = c.var.deps;
    await db.transaction(async (tx) => {
      const gone = await tx.delete(flavors).where(eq(flavors.id, id)).returning();
      if (!gone.length) throw missing(id);
      await tx.delete(flavorExtraSpecs).where(eq(flavorExtraSpecs.flavorId, id));
      await tx.delete(flavorProjects).where(eq(flavorProjects.flavorId, id));
    });
    return c.body(null, 202);
  });

  app.get("/v2.1/flavors/:id/os-extra_specs", reader(), async (c) => {
    const f = await findVisibleFlavor(c.var.deps.db, c.var.auth, c.req.param("id"));
    return c.json({ extra_specs: await extraSpecsOf(c.var.deps.db, f.id) });
  });

  app.post("/v2.1/flavors/:id/os-extra_specs", admin(), async (c) => {
    const f = await findVisibleFlavor(c.var.deps.db, c.var.auth, c.req.param("id"));
    const { extra_specs: specs } = specsBody.parse(await readJson(c));
    for (const [key, value] of Object.entries(specs)) {
      await c.var.deps.db.insert(flavorExtraSpecs).values({ flavorId: f.id, key, value }).onConflictDoUpdate({ target: [flavorExtraSpecs.flavorId, flavorExtraSpecs.key], set: { value } });
    }
    return c.json({ extra_specs: specs });
  });

  const specRow = async (db: DbOrTx, flavorId: string, key: string) =>
    (await db.select().from(flavorExtraSpecs).where(and(eq(flavorExtraSpecs.flavorId, flavorId), eq(flavorExtraSpecs.key, key))))[0];
  const noSpec = (id: string, key: string) => new ApiError(404, `Flavor ${id} has no extra specs with key ${key}.`, "itemNotFound");

  app.get("/v2.1/flavors/:id/os-extra_specs/:key", reader(), async (c) => {
    const f = await findVisibleFlavor(c.var.deps.db, c.var.auth, c.req.param("id"));
    const row = await specRow(c.var.deps.db, f.id, c.req.param("key"));
    if (!row) throw noSpec(f.id, c.req.param("key"));
    return c.json({ [row.key]: row.value });
  });

  app.put("/v2.1/flavors/:id/os-extra_specs/:key", admin(), async (c) => {
    const f = await findVisibleFlavor(c.var.deps.db, c.var.auth, c.req.param("id"));
    const key = c.req.param("key");
    const body = z.record(specKey, specValue).parse(await readJson(c));
    const keys = Object.keys(body);
    if (keys.length > 1) throw bad("Request body contains too many items");
    if (keys[0] !== key) throw bad("Request body and URI mismatch");
    const value = body[key];
    await c.var.deps.db.insert(flavorExtraSpecs).values({ flavorId: f.id, key, value }).onConflictDoUpdate({ target: [flavorExtraSpecs.flavorId, flavorExtraSpecs.key], set: { value } });
    return c.json({ [key]: value });
  });

  app.delete("/v2.1/flavors/:id/os-extra_specs/:key", admin(), async (c) => {
    const f = await findVisibleFlavor(c.var.deps.db, c.var.auth, c.req.param("id"));
    const key = c.req.param("key");
    const gone = await c.var.deps.db.delete(flavorExtraSpecs).where(and(eq(flavorExtraSpecs.flavorId, f.id), eq(flavorExtraSpecs.key, key))).returning();
    if (!gone.length) throw noSpec(f.id, key);
    return c.body(null, 200);
  });

  app.get("/v2.1/flavors/:id/os-flavor-access", admin(), async (c) => {
    const f = await findVisibleFlavor(c.var.deps.db, c.var.auth, c.req.param("id"));
    if (f.isPublic) throw new ApiError(404, "Access list not available for public flavors.", "itemNotFound");
    return c.json({ flavor_access: await accessList(c.var.deps.db, f.id) });
  });

  app.post("/v2.1/flavors/:id/action", admin(), async (c) => {
    const { db } = c.var.deps;
    const f = await findVisibleFlavor(db, c.var.auth, c.req.param("id"));
    const body = accessAction.parse(await readJson(c));
    if ("addTenantAccess" in body) {
      const tenant = body.addTenantAccess.tenant;
      // Nova refuses this only from 2.7; before, the access row is simply recorded.
      if (f.isPublic && microversion(c) >= 7) throw new ApiError(409, "Can not add access to a public flavor.", "conflictingRequest");
      if (!(await db.select().from(projects).where(eq(projects.id, tenant)))[0]) throw bad(`Project ID ${tenant} is not a valid project.`);
      const added = await db.insert(flavorProjects).values({ flavorId: f.id, projectId: tenant }).onConflictDoNothing().returning();
      if (!added.length) throw new ApiError(409, `Flavor access already exists for flavor ${f.id} and project ${tenant} combination.`, "conflictingRequest");
    } else {
      const tenant = body.removeTenantAccess.tenant;
      const gone = await db.delete(flavorProjects).where(and(eq(flavorProjects.flavorId, f.id), eq(flavorProjects.projectId, tenant))).returning();
      if (!gone.length) throw new ApiError(404, `Flavor access not found for ${f.id} / ${tenant} combination.`, "itemNotFound");
    }
    return c.json({ flavor_access: await accessList(db, f.id) });
  });
}
