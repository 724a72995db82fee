/** Nova's quota rules, pure: limits resolved from defaults, class and project; checks; updates. */

/** Nova's built-in defaults (nova.conf [quota]); -1 means unlimited. */
export const DEFAULT_QUOTAS = {
  instances: 10, cores: 20, ram: 51200, floating_ips: 10, fixed_ips: -1, metadata_items: 128,
  injected_files: 5, injected_file_content_bytes: 10240, injected_file_path_bytes: 255,
  key_pairs: 100, security_groups: 10, security_group_rules: 20, server_groups: 10, server_group_members: 10,
} as const;

export type QuotaResource = keyof typeof DEFAULT_QUOTAS;
export type Limits = Record<QuotaResource, number>;
export const QUOTA_RESOURCES = Object.keys(DEFAULT_QUOTAS) as QuotaResource[];
export const isQuotaResource = (k: string): k is QuotaResource => k in DEFAULT_QUOTAS;

/** Project overrides win over the class, which wins over the built-in defaults. */
export function resolveLimits(classLimits: Partial<Limits>, projectLimits: Partial<Limits> = {}): Limits {
  return Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, projectLimits[r] ?? classLimits[r] ?? DEFAULT_QUOTAS[r]])) as Limits;
}

export interface QuotaExceeded {
  resource: QuotaResource;
  requested: number;
  used: number;
  limit: number;
}

/** Every resource the request would push over its limit (unlimited is -1). */
export function overLimit(limits: Partial<Limits>, used: Partial<Record<QuotaResource, number>>, requested: Partial<Record<QuotaResource, number>>): QuotaExceeded[] {
  const out: QuotaExceeded[] = [];
  for (const [r, want] of Object.entries(requested) as Array<[QuotaResource, number]>) {
    const limit = limits[r] ?? -1;
    const inUse = used[r] ?? 0;
    if (limit >= 0 && want > 0 && inUse + want > limit) out.push({ resource: r, requested: want, used: inUse, limit });
  }
  return out;
}

/** Nova's message for the first exceeded resource. */
export function quotaMessage(e: QuotaExceeded[]): string {
  const names = e.map((x) => x.resource).join(", ");
  const first = e[0];
  return `Quota exceeded for ${names}: Requested ${first.requested}, but already used ${first.used} of ${first.limit} ${first.resource}`;
}

/** How many instances of one size fit under the limits (Infinity when none applies). */
export function instancesThatFit(limits: Partial<Limits>, used: Partial<Record<QuotaResource, number>>, per: { cores: number; ram: number }): number {
  const room = (r: QuotaResource, each: number) => {
    const limit = limits[r] ?? -1;
    if (limit < 0 || each <= 0) return Infinity;
    return Math.max(0, Math.floor((limit - (used[r] ?? 0)) / each));
  };
  return Math.min(room("instances", 1), room("cores", per.cores), room("ram", per.ram));
}

/**
 * Validates an update body's values: integers >= -1, and (unless forced) not below what is in use.
 * Returns the changes or throws RangeError with Nova's message.
 */
export function validateQuotaUpdate(body: Record<string, unknown>, used: Partial<Record<QuotaResource, number>>, force: boolean): Partial<Limits> {
  const out: Partial<Limits> = {};
  for (const [k, raw] of Object.entries(body)) {
    if (k === "force" || k === "id") continue;
    if (!isQuotaResource(k)) throw new RangeError(`Additional properties are not allowed ('${k}' was unexpected)`);
    const v = typeof raw === "string" && /^-?\d+$/.test(raw) ? Number(raw) : raw;
    if (typeof v !== "number" || !Number.isInteger(v) || v < -1) throw new RangeError(`Invalid input for field/attribute ${k}. Value: ${String(raw)}. ${String(raw)} is not valid; it must be an integer >= -1`);
    const inUse = used[k] ?? 0;
    if (!force && v !== -1 && v < inUse) throw new RangeError(`Quota limit ${v} for ${k} must be greater than or equal to already used and reserved ${inUse}.`);
    out[k] = v;
  }
  return out;
}
