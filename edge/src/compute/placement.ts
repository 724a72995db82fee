import { and, eq, inArray, isNull, ne, sql } from "drizzle-orm";
import type { DbOrTx } from "../db/client.js";
import { hosts, serverMigrations, servers } from "../db/schema.js";
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
  const held = await migrationClaims(tx);
  return rows.map((h) => {
    const u = usage.find((x) => x.hostId === h.id);
    const m = held.filter((x) => x.hostId === h.id);
    const sum = (k: "vcpus" | "memoryMb" | "diskGb") => Number(u?.[k] ?? 0) + m.reduce((n, x) => n + x[k], 0);
    return {
      id: h.id, vcpus: h.vcpus, memoryMb: h.memoryMb, diskGb: h.diskGb, online: h.online, enabled: h.enabled, lastSeenAt: h.lastSeenAt,
      usedVcpus: sum("vcpus"), usedMemoryMb: sum("memoryMb"), usedDiskGb: sum("diskGb"),
    };
  });
}

/**
 * A server in a cold migration also holds its resources on the end it is not on (the destination
 * before the move, the source until confirm), as Nova's migration allocations do.
 */
async function migrationClaims(tx: DbOrTx) {
  const rows = await tx.select({ m: serverMigrations, s: servers }).from(serverMigrations).innerJoin(servers, eq(servers.id, serverMigrations.serverId))
    .where(and(inArray(serverMigrations.status, ["pre-migrating", "migrating"]), ne(serverMigrations.sourceHostId, serverMigrations.destHostId), isNull(servers.deletedAt)));
  return rows.map(({ m, s }) => ({ hostId: s.hostId === m.destHostId ? m.sourceHostId : m.destHostId, vcpus: s.vcpus, memoryMb: s.memoryMb, diskGb: s.diskGb }));
}

/** Picks a host inside the caller's write transaction, so the claim that follows cannot overcommit. */
export async function scheduleInTx(tx: DbOrTx, req: ResourceRequest): Promise<string | null> {
  return pickHost(await hostCapacities(tx), req, defaultSchedulerOptions())?.id ?? null;
}
