import type { DbOrTx } from "../db/client.js";
import { aggregateHosts, aggregates, hostServices, hosts } from "../db/schema.js";
import type { Config } from "../lib/context.js";
import { DEFAULT_ZONE, type HostFacts, type PlacementOptions } from "./host-filters.js";
import { hostCapacities } from "./placement.js";
import { defaultSchedulerOptions } from "./scheduler.js";

type AggregateRow = (typeof aggregates)["$inferSelect"];

/** The zone of a host: the `availability_zone` of one of its aggregates, else the default zone. */
export function zoneOf(hostAggregates: AggregateRow[]): string {
  return hostAggregates.map((a) => a.metadata.availability_zone).find((z) => !!z) ?? DEFAULT_ZONE;
}

/** Aggregates per host id. */
export async function aggregatesByHost(db: DbOrTx): Promise<Map<string, AggregateRow[]>> {
  const [aggs, links] = await Promise.all([db.select().from(aggregates), db.select().from(aggregateHosts)]);
  const out = new Map<string, AggregateRow[]>();
  for (const l of links) {
    const a = aggs.find((x) => x.id === l.aggregateId);
    if (a) out.set(l.hostId, [...(out.get(l.hostId) ?? []), a]);
  }
  return out;
}

/** Every host with its capacity, usage, zone, aggregate metadata and service state. */
export async function hostFacts(db: DbOrTx): Promise<HostFacts[]> {
  const [caps, rows, services, byHost] = await Promise.all([hostCapacities(db), db.select().from(hosts), db.select().from(hostServices), aggregatesByHost(db)]);
  return caps.map((cap) => {
    const h = rows.find((r) => r.id === cap.id)!;
    const svc = services.find((s) => s.hostId === cap.id);
    const aggs = byHost.get(cap.id) ?? [];
    const aggregateMetadata: Record<string, string[]> = {};
    for (const a of aggs) for (const [k, v] of Object.entries(a.metadata)) (aggregateMetadata[k] ??= []).push(v);
    return { ...cap, availabilityZone: zoneOf(aggs), aggregateMetadata, hypervisorType: h.hypervisorType, arch: svc?.arch ?? "", forcedDown: svc?.forcedDown ?? false };
  });
}

/** Scheduler options from the deployment's config (allocation ratios, weigher). */
export function placementOptions(config: Config, now = Date.now()): PlacementOptions {
  return { ...defaultSchedulerOptions(now), weigher: "spread", ...config.scheduler };
}
