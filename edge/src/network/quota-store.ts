import { and, count, eq } from "drizzle-orm";
import type { DbOrTx } from "../db/client.js";
import { floatingIps, networkQuotas, networks, ports, routers, securityGroupRules, securityGroups, subnets } from "../db/schema.js";
import { ApiError } from "../lib/errors.js";

/** Neutron's default quotas. */
export const DEFAULT_QUOTAS = { network: 100, subnet: 100, port: 500, router: 10, floatingip: 50, security_group: 10, security_group_rule: 100 } as const;
export type QuotaResource = keyof typeof DEFAULT_QUOTAS;
export const QUOTA_RESOURCES = Object.keys(DEFAULT_QUOTAS) as QuotaResource[];

const tables = { network: networks, subnet: subnets, port: ports, router: routers, floatingip: floatingIps, security_group: securityGroups, security_group_rule: securityGroupRules };

/** How many of `resource` the project holds now. */
export async function usage(db: DbOrTx, projectId: string, resource: QuotaResource): Promise<number> {
  const t = tables[resource];
  return (await db.select({ n: count() }).from(t).where(eq(t.projectId, projectId)))[0].n;
}

/** The project's limits: its overrides over the defaults. */
export async function limitsOf(db: DbOrTx, projectId: string): Promise<Record<QuotaResource, number>> {
  const rows = await db.select().from(networkQuotas).where(eq(networkQuotas.projectId, projectId));
  const out: Record<QuotaResource, number> = { ...DEFAULT_QUOTAS };
  for (const r of rows) if (r.resource in out) out[r.resource as QuotaResource] = r.hardLimit;
  return out;
}

/** Throws Neutron's 409 OverQuota when adding `adding` more would exceed the limit (-1 is unlimited). */
export async function enforceQuota(db: DbOrTx, projectId: string, resource: QuotaResource, adding = 1): Promise<void> {
  const limit = (await limitsOf(db, projectId))[resource];
  if (limit < 0) return;
  const used = await usage(db, projectId, resource);
  if (used + adding > limit) throw new ApiError(409, `Quota exceeded for resources: ['${resource}'].`, "OverQuota");
}

export async function setLimits(db: DbOrTx, projectId: string, limits: Partial<Record<QuotaResource, number>>) {
  for (const [resource, hardLimit] of Object.entries(limits)) {
    await db.insert(networkQuotas).values({ projectId, resource, hardLimit }).onConflictDoUpdate({ target: [networkQuotas.projectId, networkQuotas.resource], set: { hardLimit } });
  }
}

export async function resetLimits(db: DbOrTx, projectId: string) {
  await db.delete(networkQuotas).where(and(eq(networkQuotas.projectId, projectId)));
}
