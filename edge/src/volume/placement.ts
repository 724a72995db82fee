import { isHostUp } from "../compute/scheduler.js";

/** A host's volume pool as placement sees it. */
export interface PoolCapacity {
  hostId: string;
  backend: string;
  totalGb: number;
  freeGb: number;
  /** Sum of the sizes of the volumes and snapshots already placed there. */
  allocatedGb: number;
  online: boolean;
  enabled: boolean;
  lastSeenAt: string | null;
}

export interface PoolRequest {
  sizeGb: number;
  /** From the volume type's `volume_backend_name` extra spec. */
  backend?: string;
  /** A volume made from a snapshot or another volume must stay beside its source. */
  hostId?: string;
}

export interface PoolOptions {
  /** Thin provisioning: allocated may reach total × this (Cinder's max_over_subscription_ratio). */
  overSubscription: number;
  hostTimeoutMs: number;
  now: number;
}

export const defaultPoolOptions = (now = Date.now()): PoolOptions => ({ overSubscription: 20, hostTimeoutMs: 30_000, now });

/** The pool a new volume goes to (up, right backend, room after over-subscription; most free space first), or null. */
export function pickPool(pools: PoolCapacity[], req: PoolRequest, o: PoolOptions): PoolCapacity | null {
  const fits = (p: PoolCapacity) =>
    p.enabled && isHostUp(p, o) && p.freeGb >= 1 && p.allocatedGb + req.sizeGb <= p.totalGb * o.overSubscription &&
    (!req.backend || p.backend === req.backend) && (!req.hostId || p.hostId === req.hostId);
  const candidates = pools.filter(fits).sort((a, b) => b.freeGb - a.freeGb || a.hostId.localeCompare(b.hostId));
  return candidates[0] ?? null;
}
