import { and, eq, isNull, sql } from "drizzle-orm";
import type { RouterSpec } from "#shared";
import type { Bus } from "../bus/types.js";
import { computeHosts } from "../compute/host-views.js";
import { defaultSchedulerOptions, isHostUp } from "../compute/scheduler.js";
import type { DbOrTx } from "../db/client.js";
import { hostExternalNetworks, hosts, networks, routerBindings, routerCleanups, routers } from "../db/schema.js";
import { keepsRouter, rankRouterHosts, type ExternalNet, type L3Host } from "./router-scheduler.js";

/** The hosts and their router counts, read once per sync and updated as routers are placed. */
export interface Placement {
  hosts: L3Host[];
  load: Map<string, number>;
}

/** Every host with liveness, service state and the external networks it advertised. */
export async function loadPlacement(db: DbOrTx): Promise<Placement> {
  const [all, ext, counts] = await Promise.all([
    computeHosts(db), db.select().from(hostExternalNetworks),
    db.select({ hostId: routerBindings.hostId, n: sql<number>`count(*)` }).from(routerBindings).groupBy(routerBindings.hostId),
  ]);
  const hosts = all.map((h) => ({ id: h.host.id, up: h.up, enabled: h.host.enabled, externalNetworks: ext.find((e) => e.hostId === h.host.id)?.networks ?? null }));
  return { hosts, load: new Map(counts.filter((c) => c.hostId).map((c) => [c.hostId!, Number(c.n)])) };
}

/** Records what a host said it reaches at registration (absent: every external network). */
export async function recordExternalNetworks(db: DbOrTx, hostId: string, nets: string[] | undefined): Promise<void> {
  await db.insert(hostExternalNetworks).values({ hostId, networks: nets ?? null })
    .onConflictDoUpdate({ target: hostExternalNetworks.hostId, set: { networks: nets ?? null } });
}

async function externalNetOf(db: DbOrTx, routerId: string): Promise<ExternalNet | null> {
  const row = (await db.select({ id: networks.id, name: networks.name }).from(routers).innerJoin(networks, eq(networks.id, routers.gatewayNetworkId)).where(eq(routers.id, routerId)))[0];
  return row ?? null;
}

const bindingOf = async (db: DbOrTx, routerId: string) => (await db.select().from(routerBindings).where(eq(routerBindings.routerId, routerId)))[0];
const bump = (p: Placement, hostId: string | null, by: number) => { if (hostId) p.load.set(hostId, (p.load.get(hostId) ?? 0) + by); };

const NO_HOST = "No host that is up, enabled and reaches the router's external network.";

/**
 * Brings one router to its host: a deleted router's namespace is removed; a router whose host is
 * up and reaches its gateway network gets its spec again (cast, idempotent); a new router goes to
 * the best host; one whose host is gone (or unscheduled) moves (see `moveRouter`).
 */
export async function convergeRouter(db: DbOrTx, bus: Bus, p: Placement, routerId: string, spec: RouterSpec | null): Promise<void> {
  const b = await bindingOf(db, routerId);
  if (!spec) {
    if (b?.hostId) await bus.cast(b.hostId, "network.router-delete", { routerId });
    await db.delete(routerBindings).where(eq(routerBindings.routerId, routerId));
    bump(p, b?.hostId ?? null, -1);
    return;
  }
  const net = await externalNetOf(db, routerId);
  if (b?.hostId && keepsRouter(p.hosts.find((h) => h.id === b.hostId), net)) {
    await bus.cast(b.hostId, "network.router", { router: spec });
    return;
  }
  if (!b) {
    const [first] = rankRouterHosts(p.hosts, net, p.load);
    const inserted = await db.insert(routerBindings).values({ routerId, hostId: first ?? null, reason: first ? null : NO_HOST })
      .onConflictDoNothing().returning();
    if (inserted.length === 0) return convergeRouter(db, bus, p, routerId, spec); // placed concurrently
    if (first) {
      bump(p, first, 1);
      await bus.cast(first, "network.router", { router: spec });
    }
    return;
  }
  await moveRouter(db, bus, p, spec, b.hostId, net);
}

/**
 * Moves a router off `from` (a lost host, or null: unscheduled): each eligible host in turn must
 * build it (call, so a failure is seen) before the binding moves to it. If every one fails the
 * router is unscheduled with the reason. `from` keeps a cleanup to run when it comes back.
 */
async function moveRouter(db: DbOrTx, bus: Bus, p: Placement, spec: RouterSpec, from: string | null, net: ExternalNet | null): Promise<void> {
  const routerId = spec.routerId;
  const tried = new Set(from ? [from] : []);
  let reason = NO_HOST;
  for (const to of rankRouterHosts(p.hosts, net, p.load, tried)) {
    tried.add(to);
    try {
      await bus.call(to, "network.router", { router: spec }, 30_000);
    } catch (err) {
      reason = `Host ${to} failed to build the router: ${(err as Error).message}`;
      await bus.cast(to, "network.router-delete", { routerId }).catch(() => undefined);
      continue;
    }
    if (await rebind(db, routerId, from, to, null)) {
      bump(p, from, -1);
      bump(p, to, 1);
    } else {
      // Someone else moved it first: drop this copy unless it landed on the same host.
      if ((await bindingOf(db, routerId))?.hostId !== to) await bus.cast(to, "network.router-delete", { routerId });
    }
    return;
  }
  if (await rebind(db, routerId, from, null, reason)) bump(p, from, -1);
}

/** Compare-and-swap of the binding from `from` to `to`; a host the router leaves gets a cleanup. */
async function rebind(db: DbOrTx, routerId: string, from: string | null, to: string | null, reason: string | null): Promise<boolean> {
  const moved = await db.update(routerBindings).set({ hostId: to, reason, updatedAt: new Date().toISOString() })
    .where(and(eq(routerBindings.routerId, routerId), from ? eq(routerBindings.hostId, from) : isNull(routerBindings.hostId))).returning();
  if (moved.length === 0) return false;
  if (from && from !== to) await db.insert(routerCleanups).values({ routerId, hostId: from }).onConflictDoNothing();
  if (to) await db.delete(routerCleanups).where(and(eq(routerCleanups.routerId, routerId), eq(routerCleanups.hostId, to)));
  return true;
}

/**
 * A host is back: it removes namespaces of routers that moved away while it was down, and of
 * routers it reports (`reported`) that are not bound to it. Deleted rows are tasks done.
 */
export async function cleanupHost(db: DbOrTx, bus: Bus, hostId: string, reported: string[] = []): Promise<string[]> {
  const pending = (await db.select({ routerId: routerCleanups.routerId }).from(routerCleanups).where(eq(routerCleanups.hostId, hostId))).map((r) => r.routerId);
  const bound = new Set((await db.select({ routerId: routerBindings.routerId }).from(routerBindings).where(eq(routerBindings.hostId, hostId))).map((r) => r.routerId));
  const stale = [...new Set([...pending, ...reported])].filter((id) => !bound.has(id));
  for (const routerId of stale) {
    await bus.cast(hostId, "network.router-delete", { routerId });
    await db.delete(routerCleanups).where(and(eq(routerCleanups.routerId, routerId), eq(routerCleanups.hostId, hostId)));
  }
  return stale;
}

/** Routers bound to the host, unscheduled or never placed ones, and those on hosts no longer up. */
export async function routersToConverge(db: DbOrTx, p: Placement, hostId: string): Promise<string[]> {
  const rows = await db.select({ id: routers.id, hostId: routerBindings.hostId, bound: routerBindings.routerId })
    .from(routers).leftJoin(routerBindings, eq(routerBindings.routerId, routers.id));
  const up = new Set(p.hosts.filter((h) => h.up).map((h) => h.id));
  return rows.filter((r) => !r.bound || r.hostId === hostId || r.hostId === null || !up.has(r.hostId)).map((r) => r.id);
}

/**
 * Routers whose host went silent (no heartbeat within the liveness window) without a last will,
 * e.g. after a broker restart: cheap enough to check on every heartbeat.
 */
export async function routersOnSilentHosts(db: DbOrTx, now = Date.now()): Promise<string[]> {
  const rows = await db.select({ routerId: routerBindings.routerId, online: hosts.online, lastSeenAt: hosts.lastSeenAt })
    .from(routerBindings).innerJoin(hosts, eq(hosts.id, routerBindings.hostId));
  const opts = defaultSchedulerOptions(now);
  return rows.filter((r) => !isHostUp(r, opts)).map((r) => r.routerId);
}

/** Routers bound to a host. */
export async function routersOn(db: DbOrTx, hostId: string): Promise<string[]> {
  return (await db.select({ routerId: routerBindings.routerId }).from(routerBindings).where(eq(routerBindings.hostId, hostId))).map((r) => r.routerId);
}
