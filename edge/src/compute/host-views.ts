import { getTableColumns, sql } from "drizzle-orm";
import type { DbOrTx } from "../db/client.js";
import { hostServices, hosts } from "../db/schema.js";
import { aggregatesByHost, zoneOf } from "./host-facts.js";
import { hostCapacities } from "./placement.js";
import { defaultSchedulerOptions, isHostUp } from "./scheduler.js";

type HostRow = (typeof hosts)["$inferSelect"];
type ServiceRow = (typeof hostServices)["$inferSelect"];

/** One compute host as the service and hypervisor APIs see it (integer id as Nova's before 2.53). */
export interface ComputeHost {
  rowId: number;
  host: HostRow;
  service: ServiceRow | undefined;
  zone: string;
  up: boolean;
  usedVcpus: number;
  usedMemoryMb: number;
  usedDiskGb: number;
}

/** Every host with its service state, zone, liveness (silent > 30 s is down) and claimed usage. */
export async function computeHosts(db: DbOrTx, now = Date.now()): Promise<ComputeHost[]> {
  const [rows, services, byHost, caps] = await Promise.all([
    db.select({ rowId: sql<number>`${hosts}.rowid`, ...getTableColumns(hosts) }).from(hosts).orderBy(sql`${hosts}.rowid`),
    db.select().from(hostServices), aggregatesByHost(db), hostCapacities(db),
  ]);
  const opts = defaultSchedulerOptions(now);
  return rows.map(({ rowId, ...host }) => {
    const service = services.find((s) => s.hostId === host.id);
    const cap = caps.find((c) => c.id === host.id);
    return {
      rowId: Number(rowId), host, service, zone: zoneOf(byHost.get(host.id) ?? []), up: isHostUp(host, opts) && !service?.forcedDown,
      usedVcpus: cap?.usedVcpus ?? 0, usedMemoryMb: cap?.usedMemoryMb ?? 0, usedDiskGb: cap?.usedDiskGb ?? 0,
    };
  });
}

export type HostStatus = "UP" | "DOWN" | "MAINTENANCE" | "UNKNOWN" | "";

/** Nova's host_status (2.16): DOWN when down or forced down, MAINTENANCE when disabled. */
export function hostStatusOf(h: Pick<ComputeHost, "up" | "host"> | undefined): HostStatus {
  if (!h) return "";
  if (!h.up) return "DOWN";
  if (!h.host.enabled) return "MAINTENANCE";
  return "UP";
}

/** Nova encodes versions as integers: 7.2.0 → 7002000. */
export function versionNumber(v: string): number {
  const [a = 0, b = 0, c = 0] = v.split(".").map((x) => Number.parseInt(x, 10) || 0);
  return a * 1_000_000 + b * 1_000 + c;
}
