import { and, eq, inArray, isNotNull } from "drizzle-orm";
import type { RouterSpec } from "#shared";
import type { Bus } from "../bus/types.js";
import type { DbOrTx } from "../db/client.js";
import { floatingIps, ipAllocations, ports, routers, subnets } from "../db/schema.js";
import { parseCidr } from "./ipam.js";
import { cleanupHost, convergeRouter, loadPlacement, routersOn, routersOnSilentHosts, routersToConverge, type Placement } from "./router-placement.js";
import { syncOverlays } from "./overlay-sync.js";

/** What a host needs to realise a router: its legs, default route, SNAT and floating IPs. */
export async function routerSpecOf(db: DbOrTx, routerId: string): Promise<RouterSpec | null> {
  const r = (await db.select().from(routers).where(eq(routers.id, routerId)))[0];
  if (!r) return null;
  const legs = await db.select({ port: ports, ip: ipAllocations.ipAddress, cidr: subnets.cidr, nexthop: subnets.gatewayIp })
    .from(ports).innerJoin(ipAllocations, eq(ipAllocations.portId, ports.id)).innerJoin(subnets, eq(subnets.id, ipAllocations.subnetId))
    .where(and(eq(ports.deviceId, r.id), inArray(ports.deviceOwner, ["network:router_interface", "network:router_gateway"])));
  const leg = (l: (typeof legs)[number]) => ({ portId: l.port.id, networkId: l.port.networkId, mac: l.port.macAddress, ip: l.ip, prefixLength: parseCidr(l.cidr).prefixLength });
  const gw = legs.find((l) => l.port.deviceOwner === "network:router_gateway");
  const fips = await db.select().from(floatingIps).where(and(eq(floatingIps.routerId, r.id), isNotNull(floatingIps.portId)));
  return {
    routerId: r.id,
    interfaces: legs.filter((l) => l.port.deviceOwner === "network:router_interface").map(leg),
    gateway: gw ? { ...leg(gw), nexthop: gw.nexthop, enableSnat: r.enableSnat } : null,
    floatingIps: fips.filter((f) => f.fixedIpAddress).map((f) => ({ floatingIp: f.floatingIpAddress, fixedIp: f.fixedIpAddress! })),
  };
}

/**
 * Sends routers' full specs to their hosts (idempotent), placing or moving them as needed: the
 * `only` ones, else every router with a gateway (the ones floating IPs can use), else all; and
 * the `deleted` ones' removal.
 */
export async function syncRouters(db: DbOrTx, bus: Bus, deleted: string[] = [], only?: string[] | "gateways"): Promise<void> {
  try {
    const p = await loadPlacement(db);
    for (const routerId of deleted) await convergeRouter(db, bus, p, routerId, null);
    const ids = Array.isArray(only) ? only
      : (await db.select({ id: routers.id }).from(routers).where(only === "gateways" ? isNotNull(routers.gatewayNetworkId) : undefined)).map((r) => r.id);
    await convergeAll(db, bus, p, ids);
  } catch (err) {
    console.error(`router sync failed: ${(err as Error).message}`);
  }
}

async function convergeAll(db: DbOrTx, bus: Bus, p: Placement, ids: string[]) {
  for (const id of ids) {
    try {
      await convergeRouter(db, bus, p, id, await routerSpecOf(db, id));
    } catch (err) {
      console.error(`router ${id} sync failed: ${(err as Error).message}`);
    }
  }
  // A router's legs are carried by its host: a new, moved or changed router changes who tunnels what.
  if (ids.length) await syncOverlays(db, bus);
}

/**
 * A host (re)connected: its routers converge, routers left unscheduled or on lost hosts get
 * another placement now that a host is back, and stale namespaces it holds go (routers moved away
 * while it was down, and any it reports that are not bound to it).
 */
export async function resyncHost(db: DbOrTx, bus: Bus, hostId: string, reported?: string[]): Promise<void> {
  try {
    // Placement first: routers never placed (older versions) and reported here stay here.
    const p = await loadPlacement(db);
    await convergeAll(db, bus, p, await routersToConverge(db, p, hostId));
    await cleanupHost(db, bus, hostId, reported);
  } catch (err) {
    console.error(`router resync of ${hostId} failed: ${(err as Error).message}`);
  }
}

/** Another host's heartbeat is a chance to move routers off hosts that went silent. */
export async function moveRoutersOffSilentHosts(db: DbOrTx, bus: Bus): Promise<void> {
  const ids = await routersOnSilentHosts(db);
  if (ids.length) await syncRouters(db, bus, [], ids);
}

/** A host was lost: its routers move to other eligible hosts (or become unscheduled). */
export async function evacuateRouters(db: DbOrTx, bus: Bus, hostId: string): Promise<void> {
  try {
    const p = await loadPlacement(db);
    await convergeAll(db, bus, p, await routersOn(db, hostId));
  } catch (err) {
    console.error(`router evacuation of ${hostId} failed: ${(err as Error).message}`);
  }
}
