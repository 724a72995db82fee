import { and, eq, isNull } from "drizzle-orm";
import type { Hono } from "hono";
import { z } from "zod";
import { volumes, volumeTypes } from "../db/schema.js";
import { admin, reader } from "../lib/auth.js";
import type { AppEnv } from "../lib/context.js";
import { ApiError, readJson } from "../lib/errors.js";
import type { Ctx } from "./common.js";
import { ensureDefaultType, findType, nowIso } from "./store.js";
import { typeView } from "./views.js";

const specs = z.record(z.string().min(1).max(255), z.union([z.string(), z.number(), z.boolean()]).transform(String));
const createBody = z.object({
  volume_type: z.object({
    name: z.string().trim().min(1).max(255),
    description: z.string().max(255).nullable().optional(),
    "os-volume-type-access:is_public": z.union([z.boolean(), z.string()]).optional(),
    is_public: z.union([z.boolean(), z.string()]).optional(),
    extra_specs: specs.optional(),
  }),
});
const updateBody = z.object({
  volume_type: z.object({ name: z.string().trim().min(1).max(255).optional(), description: z.string().max(255).nullable().optional(), is_public: z.union([z.boolean(), z.string()]).optional() }),
});
const truthy = (v: boolean | string | undefined, dflt: boolean) => (v === undefined ? dflt : v === true || String(v).toLowerCase() === "true");

/** A type as the caller may see it: private types are admin-only (no access lists yet). */
async function visibleType(c: Ctx, id: string) {
  if (id === "default") return ensureDefaultType(c.var.deps.db);
  const t = await findType(c.var.deps.db, id);
  if (!t.isPublic && !c.var.auth.isAdmin) throw new ApiError(404, `Volume type ${id} could not be found.`);
  return t;
}

async function saveSpecs(c: Ctx, id: string, extraSpecs: Record<string, string>) {
  await c.var.deps.db.update(volumeTypes).set({ extraSpecs, updatedAt: nowIso() }).where(eq(volumeTypes.id, id));
}

/** Volume types (admin CRUD) and their extra specs; `volume_backend_name` steers placement to a pool. */
export function registerTypeRoutes(app: Hono<AppEnv>) {
  const P = "/v3/:project_id/types";
  app.get(P, reader(), async (c) => {
    await ensureDefaultType(c.var.deps.db);
    const isPublic = c.req.query("is_public");
    const scope = c.var.auth.isAdmin
      ? isPublic === undefined || isPublic.toLowerCase() === "none" ? undefined : eq(volumeTypes.isPublic, truthy(isPublic, true))
      : eq(volumeTypes.isPublic, true);
    const rows = await c.var.deps.db.select().from(volumeTypes).where(scope).orderBy(volumeTypes.name);
    return c.json({ volume_types: rows.map(typeView) });
  });
  app.get(`${P}/:id`, reader(), async (c) => c.json({ volume_type: typeView(await visibleType(c, c.req.param("id"))) }));

  app.post(P, admin(), async (c) => {
    const { volume_type: req } = createBody.parse(await readJson(c));
    const exists = await c.var.deps.db.select().from(volumeTypes).where(eq(volumeTypes.name, req.name));
    if (exists.length) throw new ApiError(409, `Volume Type ${req.name} already exists.`);
    const [row] = await c.var.deps.db.insert(volumeTypes).values({
      id: crypto.randomUUID(), name: req.name, description: req.description ?? null,
      isPublic: truthy(req["os-volume-type-access:is_public"] ?? req.is_public, true), extraSpecs: req.extra_specs ?? {},
    }).returning();
    return c.json({ volume_type: typeView(row!) });
  });

  app.put(`${P}/:id`, admin(), async (c) => {
    const { volume_type: req } = updateBody.parse(await readJson(c));
    const t = await findType(c.var.deps.db, c.req.param("id"));
    if (req.name === undefined && req.description === undefined && req.is_public === undefined) throw new ApiError(400, "Specify volume type name, description, is_public or a combination thereof.");
    if (req.name && req.name !== t.name && (await c.var.deps.db.select().from(volumeTypes).where(eq(volumeTypes.name, req.name))).length) throw new ApiError(409, `Volume Type ${req.name} already exists.`);
    const [row] = await c.var.deps.db.update(volumeTypes).set({
      ...(req.name ? { name: req.name } : {}), ...(req.description !== undefined ? { description: req.description } : {}),
      ...(req.is_public !== undefined ? { isPublic: truthy(req.is_public, true) } : {}), updatedAt: nowIso(),
    }).where(eq(volumeTypes.id, t.id)).returning();
    const { "os-volume-type-access:is_public": _, ...view } = typeView(row!);
    return c.json({ volume_type: view });
  });

  app.delete(`${P}/:id`, admin(), async (c) => {
    const t = await findType(c.var.deps.db, c.req.param("id"));
    if (t.name === "__DEFAULT__") throw new ApiError(400, "The default volume type cannot be deleted.");
    const using = await c.var.deps.db.select({ id: volumes.id }).from(volumes).where(and(eq(volumes.volumeTypeId, t.id), isNull(volumes.deletedAt))).limit(1);
    if (using.length) throw new ApiError(400, `Target volume type is still in use. Volume Type ${t.id} deletion is not allowed with volumes present with the type.`);
    await c.var.deps.db.delete(volumeTypes).where(eq(volumeTypes.id, t.id));
    return c.body(null, 202);
  });

  app.get(`${P}/:id/extra_specs`, reader(), async (c) => c.json({ extra_specs: (await visibleType(c, c.req.param("id"))).extraSpecs }));
  app.post(`${P}/:id/extra_specs`, admin(), async (c) => {
    const { extra_specs } = z.object({ extra_specs: specs }).parse(await readJson(c));
    const t = await findType(c.var.deps.db, c.req.param("id"));
    await saveSpecs(c, t.id, { ...t.extraSpecs, ...extra_specs });
    return c.json({ extra_specs });
  });
  app.get(`${P}/:id/extra_specs/:key`, reader(), async (c) => {
    const t = await visibleType(c, c.req.param("id"));
    const key = c.req.param("key");
    if (!(key in t.extraSpecs)) throw new ApiError(404, `Volume Type ${t.id} has no extra specs with key ${key}.`);
    return c.json({ [key]: t.extraSpecs[key] });
  });
  app.put(`${P}/:id/extra_specs/:key`, admin(), async (c) => {
    const body = specs.parse(await readJson(c));
    const key = c.req.param("key");
    if (Object.keys(body).length !== 1) throw new ApiError(400, "Request body contains too many items.");
    if (!(key in body)) throw new ApiError(400, "Request body and URI mismatch");
    const t = await findType(c.var.deps.db, c.req.param("id"));
    await saveSpecs(c, t.id, { ...t.extraSpecs, ...body });
    return c.json(body);
  });
  app.delete(`${P}/:id/extra_specs/:key`, admin(), async (c) => {
    const t = await findType(c.var.deps.db, c.req.param("id"));
    const key = c.req.param("key");
    if (!(key in t.extraSpecs)) throw new ApiError(404, `Volume Type ${t.id} has no extra specs with key ${key}.`);
    const { [key]: _gone, ...rest } = t.extraSpecs;
    await saveSpecs(c, t.id, rest);
    return c.body(null, 202);
  });
}
