/** Cinder quota arithmetic, pure: defaults, and whether a request fits a project's limits. */
export type QuotaResource = "volumes" | "snapshots" | "gigabytes" | "backups" | "backup_gigabytes" | "groups" | "per_volume_gigabytes";

export const QUOTA_RESOURCES: readonly QuotaResource[] = ["volumes", "snapshots", "gigabytes", "backups", "backup_gigabytes", "groups", "per_volume_gigabytes"];

/** Cinder's default quotas (-1 = unlimited). */
export const DEFAULT_QUOTAS: Record<QuotaResource, number> = {
  volumes: 10, snapshots: 10, gigabytes: 1000, backups: 10, backup_gigabytes: 1000, groups: 10, per_volume_gigabytes: -1,
};

export type Limits = Record<QuotaResource, number>;
export interface Usage { volumes: number; snapshots: number; gigabytes: number }
export interface Delta { volumes?: number; snapshots?: number; gigabytes?: number; /** Size of one new or grown volume. */ size?: number }

export interface QuotaExceeded { resource: QuotaResource; message: string }

/** Overrides on top of the defaults. */
export const effectiveLimits = (overrides: Array<{ resource: string; hardLimit: number }>): Limits => {
  const limits = { ...DEFAULT_QUOTAS };
  for (const o of overrides) if ((QUOTA_RESOURCES as readonly string[]).includes(o.resource)) limits[o.resource as QuotaResource] = o.hardLimit;
  return limits;
};

/** The first limit the request would exceed, with Cinder's wording, or null when it fits. */
export function checkQuota(limits: Limits, usage: Usage, delta: Delta): QuotaExceeded | null {
  const perVolume = limits.per_volume_gigabytes;
  if (delta.size !== undefined && perVolume >= 0 && delta.size > perVolume) {
    return { resource: "per_volume_gigabytes", message: `Volume size '${delta.size}'GB cannot be greater than the per volume limit '${perVolume}'GB.` };
  }
  const gb = delta.gigabytes ?? 0;
  if (gb > 0 && limits.gigabytes >= 0 && usage.gigabytes + gb > limits.gigabytes) {
    return { resource: "gigabytes", message: `VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested ${gb}G, quota is ${limits.gigabytes}G and ${usage.gigabytes}G has been consumed.` };
  }
  for (const r of ["volumes", "snapshots"] as const) {
    const n = delta[r] ?? 0;
    if (n > 0 && limits[r] >= 0 && usage[r] + n > limits[r]) {
      const what = r === "volumes" ? "VolumeLimitExceeded: Maximum number of volumes" : "SnapshotLimitExceeded: Maximum number of snapshots";
      return { resource: r, message: `${what} allowed (${limits[r]}) exceeded for quota '${r}'.` };
    }
  }
  return null;
}

/** A new limit may not be set below what is in use (Cinder refuses it with 400). */
export function validateNewLimit(resource: QuotaResource, limit: number, inUse: number): string | null {
  if (!Number.isInteger(limit) || limit < -1) return `Quota limit ${limit} for ${resource} must be an integer >= -1.`;
  if (limit >= 0 && inUse > limit) return `Quota limit ${limit} for ${resource} must be greater than or equal to already used and reserved ${inUse}.`;
  return null;
}
