import { and, asc, eq, inArray, isNotNull } from "drizzle-orm";
import type { RouterSpec } from "#shared";
import type { Bus } from "../bus/types.js";
import type { DbOrTx } from "../db/client.js";
import { floatingIps, hosts, ipAllocations, ports, routers, subnets } from "../db/schema.js";
import { parseCidr } from "./ipam.js";

/** Routers run on one host (the first online one): the all-in-one's, or a site's network node. */
export async function routerHost(db: DbOrTx): Promise<string | null> {
  return (await db.select({ id: hosts.id }).from(hosts).where(eq(hosts.online, true)).orderBy(asc(hosts.id)).limit(1))[0]?.id ?? null;
}

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
 * Sends routers' full specs to the router host (idempotent): the `only` ones, else every router
 * with a gateway (the ones floating IPs can use), else all; and the `deleted` ones' removal.
 */
export async function syncRouters(db: DbOrTx, bus: Bus, deleted: string[] = [], only?: string[] | "gateways"): Promise<void> {
  const host = await routerHost(db);
  if (!host) return;
  try {
    for (const routerId of deleted) await bus.cast(host, "network.router-delete", { routerId });
    const ids = Array.isArray(only) ? only
      : (await db.select({ id: routers.id }).from(routers).where(only === "gateways" ? isNotNull(routers.gatewayNetworkId) : undefined)).map((r) => r.id);
    for (const id of ids) {
      const spec = await routerSpecOf(db, id);
      if (spec) await bus.cast(host, "network.router", { router: spec });
    }
  } catch (err) {
    console.error(`router sync to ${host} failed: ${(err as Error).message}`);
  }
}
