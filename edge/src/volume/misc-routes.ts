import { eq } from "drizzle-orm";
import type { Hono } from "hono";
import { z } from "zod";
import { volumeQuotas } from "../db/schema.js";
import { admin, callerProject, reader } from "../lib/auth.js";
import type { AppEnv } from "../lib/context.js";
import { ApiError, readJson } from "../lib/errors.js";
import type { Ctx } from "./common.js";
import { DEFAULT_QUOTAS, QUOTA_RESOURCES, validateNewLimit, type QuotaResource } from "./quota.js";
import { limitsOf, usageOf } from "./store.js";

/** A member may read their own project's quotas; other projects need admin (404-free: 403 as Cinder). */
function quotaTarget(c: Ctx) {
  const target = c.req.param("target")!;
  if (target !== c.var.auth.projectId && !c.var.auth.isAdmin) throw new ApiError(403, "Policy doesn't allow volume_extension:quotas:show to be performed.");
  return target;
}

const inUseOf = (usage: { volumes: number; snapshots: number; gigabytes: number }, r: QuotaResource) =>
  r === "volumes" || r === "snapshots" || r === "gigabytes" ? usage[r] : 0;

async function quotaSet(c: Ctx, projectId: string, withUsage: boolean) {
  const [limits, usage] = await Promise.all([limitsOf(c.var.deps.db, projectId), usageOf(c.var.deps.db, projectId)]);
  const set: Record<string, unknown> = { id: projectId };
  for (const r of QUOTA_RESOURCES) set[r] = withUsage ? { limit: limits[r], in_use: inUseOf(usage, r), reserved: 0, allocated: 0 } : limits[r];
  return set;
}

const updateBody = z.object({ quota_set: z.record(z.string(), z.unknown()) });

/** Quota sets, absolute limits, availability zones and the (empty) extension list. */
export function registerMiscRoutes(app: Hono<AppEnv>) {
  const P = "/v3/:project_id";
  app.get(`${P}/os-quota-sets/:target/defaults`, reader(), (c) => c.json({ quota_set: { id: c.req.param("target"), ...DEFAULT_QUOTAS } }));
  app.get(`${P}/os-quota-sets/:target`, reader(), async (c) => {
    const usage = ["1", "true", "True"].includes(c.req.query("usage") ?? "");
    return c.json({ quota_set: await quotaSet(c, quotaTarget(c), usage) });
  });
  app.put(`${P}/os-quota-sets/:target`, admin(), async (c) => {
    const target = c.req.param("target");
    const { quota_set: req } = updateBody.parse(await readJson(c));
    const usage = await usageOf(c.var.deps.db, target);
    const updates: Array<[QuotaResource, number]> = [];
    for (const [key, raw] of Object.entries(req)) {
      if (key === "tenant_id" || key === "id") continue;
      if (!(QUOTA_RESOURCES as readonly string[]).includes(key)) throw new ApiError(400, `Bad key(s) in quota set: ${key}`);
      const limit = typeof raw === "string" && /^-?\d+$/.test(raw) ? Number(raw) : raw;
      if (typeof limit !== "number") throw new ApiError(400, `Invalid input received: Quota limit ${String(raw)} for ${key} must be an integer.`);
      const problem = validateNewLimit(key as QuotaResource, limit, inUseOf(usage, key as QuotaResource));
      if (problem) throw new ApiError(400, `Invalid input received: ${problem}`);
      updates.push([key as QuotaResource, limit]);
    }
    for (const [resource, hardLimit] of updates) {
      await c.var.deps.db.insert(volumeQuotas).values({ projectId: target, resource, hardLimit })
        .onConflictDoUpdate({ target: [volumeQuotas.projectId, volumeQuotas.resource], set: { hardLimit } });
    }
    const { id: _id, ...set } = await quotaSet(c, target, false);
    return c.json({ quota_set: set });
  });
  app.delete(`${P}/os-quota-sets/:target`, admin(), async (c) => {
    await c.var.deps.db.delete(volumeQuotas).where(eq(volumeQuotas.projectId, c.req.param("target")));
    return c.body(null, 200);
  });

  app.get(`${P}/limits`, reader(), async (c) => {
    const project = callerProject(c);
    const [l, u] = await Promise.all([limitsOf(c.var.deps.db, project), usageOf(c.var.deps.db, project)]);
    return c.json({ limits: { rate: [], absolute: {
      maxTotalVolumes: l.volumes, maxTotalSnapshots: l.snapshots, maxTotalVolumeGigabytes: l.gigabytes, maxTotalBackups: l.backups, maxTotalBackupGigabytes: l.backup_gigabytes,
      totalVolumesUsed: u.volumes, totalSnapshotsUsed: u.snapshots, totalGigabytesUsed: u.gigabytes, totalBackupsUsed: 0, totalBackupGigabytesUsed: 0,
    } } });
  });

  app.get(`${P}/os-availability-zone`, reader(), (c) => c.json({ availabilityZoneInfo: [{ zoneName: "nova", zoneState: { available: true } }] }));
  app.get(`${P}/extensions`, reader(), (c) => c.json({ extensions: [] }));
}
