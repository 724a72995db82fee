import { and, isNull, sql } from "drizzle-orm";
import type { DbOrTx } from "../db/client.js";
import { hosts, servers } from "../db/schema.js";
import { defaultSchedulerOptions, pickHost, type HostCapacity, type ResourceRequest } from "./scheduler.js";

/** Every host with what its live servers already claim. */
export async function hostCapacities(tx: DbOrTx): Promise<HostCapacity[]> {
  const rows = await tx.select().from(hosts);
  const usage = await tx
    .select({
      hostId: servers.hostId,
      vcpus: sql<number>`coalesce(sum(${servers.vcpus}), 0)`,
      memoryMb: sql<number>`coalesce(sum(${servers.memoryMb}), 0)`,
      diskGb: sql<number>`coalesce(sum(${servers.diskGb}), 0)`,
    })
    .from(servers)
    .where(and(isNull(servers.deletedAt), sql`${servers.hostId} is not null`))
    .groupBy(servers.hostId);
  return rows.map((h) => {
    const u = usage.find((x) => x.hostId === h.id);
    return {
      id: h.id, vcpus: h.vcpus, memoryMb: h.memoryMb, diskGb: h.diskGb, online: h.online, enabled: h.enabled, lastSeenAt: h.lastSeenAt,
      usedVcpus: Number(u?.vcpus ?? 0), usedMemoryMb: Number(u?.memoryMb ?? 0), usedDiskGb: Number(u?.diskGb ?? 0),
    };
  });
}

/** Picks a host inside the caller's write transaction, so the claim that follows cannot overcommit. */
export async function scheduleInTx(tx: DbOrTx, req: ResourceRequest): Promise<string | null> {
  return pickHost(await hostCapacities(tx), req, defaultSchedulerOptions())?.id ?? null;
}
