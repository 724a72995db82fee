import type { Hono } from "hono";
import { z } from "zod";
import { networkQuotas } from "../db/schema.js";
import { admin, reader } from "../lib/auth.js";
import type { AppEnv } from "../lib/context.js";
import { ApiError, readJson } from "../lib/errors.js";
import type { Ctx } from "./common.js";
import { DEFAULT_QUOTAS, limitsOf, QUOTA_RESOURCES, resetLimits, setLimits, usage } from "./quota-store.js";

const updateBody = z.object({ quota: z.object(Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, z.number().int().min(-1)]))).partial().strict() });

/** A project may read its own quotas; admins read and change everyone's. */
function projectParam(c: Ctx) {
  const pid = c.req.param("pid") ?? "";
  if (pid !== c.var.auth.projectId && !c.var.auth.isAdmin) throw new ApiError(403, "Policy does not allow reading another project's quotas.", "HTTPForbidden");
  return pid;
}

/** Neutron quotas: per-project limits over the defaults, with usage details. */
export function quotaRoutes(app: Hono<AppEnv>) {
  app.get("/v2.0/quotas", admin(), async (c) => {
    const rows = await c.var.deps.db.select({ projectId: networkQuotas.projectId }).from(networkQuotas);
    const projects = [...new Set(rows.map((r) => r.projectId))];
    const quotas = await Promise.all(projects.map(async (p) => ({ ...(await limitsOf(c.var.deps.db, p)), project_id: p, tenant_id: p })));
    return c.json({ quotas });
  });
  app.get("/v2.0/quotas/:pid/default", reader(), (c) => {
    projectParam(c);
    return c.json({ quota: DEFAULT_QUOTAS });
  });
  // Neutron also answers with a .json suffix (tempest uses it here).
  app.on("GET", ["/v2.0/quotas/:pid/details", "/v2.0/quotas/:pid/details.json"], reader(), async (c) => {
    const pid = projectParam(c);
    const limits = await limitsOf(c.var.deps.db, pid);
    const entries = await Promise.all(QUOTA_RESOURCES.map(async (r) => [r, { limit: limits[r], used: await usage(c.var.deps.db, pid, r), reserved: 0 }]));
    return c.json({ quota: Object.fromEntries(entries) });
  });
  app.get("/v2.0/quotas/:pid", reader(), async (c) => c.json({ quota: await limitsOf(c.var.deps.db, projectParam(c)) }));
  app.put("/v2.0/quotas/:pid", admin(), async (c) => {
    const { quota } = updateBody.parse(await readJson(c));
    await setLimits(c.var.deps.db, c.req.param("pid"), quota);
    return c.json({ quota: await limitsOf(c.var.deps.db, c.req.param("pid")) });
  });
  app.delete("/v2.0/quotas/:pid", admin(), async (c) => {
    await resetLimits(c.var.deps.db, c.req.param("pid"));
    return c.body(null, 204);
  });
}
