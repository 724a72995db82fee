import { and, count, eq, isNull, sql } from "drizzle-orm";
import type { Hono } from "hono";
import type { DbOrTx } from "../db/client.js";
import { keypairs, quotaClasses, quotas, serverGroups, servers } from "../db/schema.js";
import { admin, reader } from "../lib/auth.js";
import type { AppEnv, AuthContext } from "../lib/context.js";
import { ApiError, readJson } from "../lib/errors.js";
import { overLimit, quotaMessage, QUOTA_RESOURCES, resolveLimits, validateQuotaUpdate, type Limits, type QuotaResource } from "./quota-rules.js";

type Usage = Partial<Record<QuotaResource, number>>;

const asLimits = (rows: Array<{ resource: string; hardLimit: number }>) => Object.fromEntries(rows.map((r) => [r.resource, r.hardLimit])) as Partial<Limits>;

export async function classLimits(db: DbOrTx, className = "default"): Promise<Limits> {
  return resolveLimits(asLimits(await db.select().from(quotaClasses).where(eq(quotaClasses.className, className))));
}

/** The project's effective limits. */
export async function projectLimits(db: DbOrTx, projectId: string): Promise<Limits> {
  const [cls, own] = await Promise.all([
    db.select().from(quotaClasses).where(eq(quotaClasses.className, "default")),
    db.select().from(quotas).where(eq(quotas.projectId, projectId)),
  ]);
  return resolveLimits(asLimits(cls), asLimits(own));
}

/** What the project (and the user, for key pairs) uses now. */
export async function projectUsage(db: DbOrTx, projectId: string, userId?: string): Promise<Usage> {
  const [inst] = await db.select({ n: count(), cores: sql<number>`coalesce(sum(${servers.vcpus}), 0)`, ram: sql<number>`coalesce(sum(${servers.memoryMb}), 0)` })
    .from(servers).where(and(eq(servers.projectId, projectId), isNull(servers.deletedAt)));
  const [groups] = await db.select({ n: count() }).from(serverGroups).where(eq(serverGroups.projectId, projectId));
  const keys = userId ? (await db.select({ n: count() }).from(keypairs).where(eq(keypairs.userId, userId)))[0].n : 0;
  return { instances: inst.n, cores: Number(inst.cores), ram: Number(inst.ram), server_groups: groups.n, key_pairs: keys };
}

/**
 * Checks the request against the project's quota. Called inside the write transaction that then
 * creates the resources, so concurrent requests cannot both pass on the same remaining room.
 */
export async function enforceQuota(tx: DbOrTx, projectId: string, requested: Usage, userId?: string): Promise<void> {
  const [limits, used] = await Promise.all([projectLimits(tx, projectId), projectUsage(tx, projectId, userId)]);
  const exceeded = overLimit(limits, used, requested);
  if (exceeded.length) throw new ApiError(403, quotaMessage(exceeded), "forbidden");
}

/** Key pairs count per user against the project's key_pairs limit (Nova's message). */
export async function enforceKeypairQuota(tx: DbOrTx, auth: AuthContext): Promise<void> {
  const limit = (await projectLimits(tx, auth.projectId ?? "")).key_pairs;
  const used = (await projectUsage(tx, auth.projectId ?? "", auth.userId)).key_pairs ?? 0;
  if (limit >= 0 && used + 1 > limit) throw new ApiError(403, "Quota exceeded, too many key pairs.", "forbidden");
}

/** Nova: an admin may look at any project's quota, others only at their own project's. */
function checkOwner(auth: AuthContext, projectId: string) {
  if (!auth.isAdmin && auth.projectId !== projectId) throw new ApiError(403, `Policy doesn't allow os_compute_api:os-quota-sets:show to be performed.`, "forbidden");
}

const quotaBody = (v: unknown) => {
  const set = (v as { quota_set?: unknown })?.quota_set;
  if (!set || typeof set !== "object" || Array.isArray(set)) throw new ApiError(400, "Invalid input for field/attribute quota_set.", "badRequest");
  return set as Record<string, unknown>;
};

const isTrue = (v: unknown) => v === true || (typeof v === "string" && ["true", "1", "yes"].includes(v.toLowerCase()));

/** os-quota-sets, os-quota-class-sets and /limits. */
export function registerQuotaRoutes(app: Hono<AppEnv>) {
  app.get("/v2.1/os-quota-sets/:pid/defaults", reader(), async (c) => c.json({ quota_set: { id: c.req.param("pid"), ...(await classLimits(c.var.deps.db)) } }));

  app.get("/v2.1/os-quota-sets/:pid/detail", reader(), async (c) => {
    const pid = c.req.param("pid");
    checkOwner(c.var.auth, pid);
    const { db } = c.var.deps;
    const [limits, used] = await Promise.all([projectLimits(db, pid), projectUsage(db, pid, c.var.auth.userId)]);
    const detail = Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, { limit: limits[r], in_use: used[r] ?? 0, reserved: 0 }]));
    return c.json({ quota_set: { id: pid, ...detail } });
  });

  app.get("/v2.1/os-quota-sets/:pid", reader(), async (c) => {
    const pid = c.req.param("pid");
    checkOwner(c.var.auth, pid);
    return c.json({ quota_set: { id: pid, ...(await projectLimits(c.var.deps.db, pid)) } });
  });

  app.put("/v2.1/os-quota-sets/:pid", admin(), async (c) => {
    const pid = c.req.param("pid");
    const set = quotaBody(await readJson(c));
    const { db } = c.var.deps;
    await db.transaction(async (tx) => {
      let changes;
      try {
        changes = validateQuotaUpdate(set, await projectUsage(tx, pid), isTrue(set.force));
      } catch (err) {
        if (err instanceof RangeError) throw new ApiError(400, err.message, "badRequest");
        throw err;
      }
      for (const [resource, hardLimit] of Object.entries(changes)) {
        await tx.insert(quotas).values({ projectId: pid, resource, hardLimit }).onConflictDoUpdate({ target: [quotas.projectId, quotas.resource], set: { hardLimit } });
      }
    }, { behavior: "immediate" });
    return c.json({ quota_set: await projectLimits(db, pid) });
  });

  app.delete("/v2.1/os-quota-sets/:pid", admin(), async (c) => {
    await c.var.deps.db.delete(quotas).where(eq(quotas.projectId, c.req.param("pid")));
    return c.body(null, 202);
  });

  app.get("/v2.1/os-quota-class-sets/:id", admin(), async (c) => c.json({ quota_class_set: { id: c.req.param("id"), ...(await classLimits(c.var.deps.db, c.req.param("id"))) } }));

  app.put("/v2.1/os-quota-class-sets/:id", admin(), async (c) => {
    const id = c.req.param("id");
    const body = (await readJson(c)) as { quota_class_set?: Record<string, unknown> };
    if (!body?.quota_class_set || typeof body.quota_class_set !== "object") throw new ApiError(400, "Invalid input for field/attribute quota_class_set.", "badRequest");
    let changes;
    try {
      changes = validateQuotaUpdate(body.quota_class_set, {}, true);
    } catch (err) {
      throw new ApiError(400, (err as Error).message, "badRequest");
    }
    const { db } = c.var.deps;
    for (const [resource, hardLimit] of Object.entries(changes)) {
      await db.insert(quotaClasses).values({ className: id, resource, hardLimit }).onConflictDoUpdate({ target: [quotaClasses.className, quotaClasses.resource], set: { hardLimit } });
    }
    return c.json({ quota_class_set: await classLimits(db, id) });
  });

  app.get("/v2.1/limits", reader(), async (c) => {
    const auth = c.var.auth;
    const asked = c.req.query("tenant_id");
    const pid = asked && auth.isAdmin ? asked : auth.projectId ?? "";
    const { db } = c.var.deps;
    const [l, u] = await Promise.all([projectLimits(db, pid), projectUsage(db, pid, auth.userId)]);
    return c.json({
      limits: {
        rate: [],
        absolute: {
          maxImageMeta: l.metadata_items, maxPersonality: l.injected_files, maxPersonalitySize: l.injected_file_content_bytes,
          maxSecurityGroupRules: l.security_group_rules, maxSecurityGroups: l.security_groups, maxServerMeta: l.metadata_items,
          maxTotalCores: l.cores, maxTotalFloatingIps: l.floating_ips, maxTotalInstances: l.instances, maxTotalKeypairs: l.key_pairs,
          maxTotalRAMSize: l.ram, maxServerGroups: l.server_groups, maxServerGroupMembers: l.server_group_members,
          totalCoresUsed: u.cores ?? 0, totalFloatingIpsUsed: 0, totalInstancesUsed: u.instances ?? 0, totalRAMUsed: u.ram ?? 0,
          totalSecurityGroupsUsed: 0, totalServerGroupsUsed: u.server_groups ?? 0,
        },
      },
    });
  });
}
