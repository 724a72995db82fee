import { eq, inArray } from "drizzle-orm";
import type { DbOrTx } from "../db/client.js";
import { ipAllocations, networks, ports } from "../db/schema.js";
import type { AddressEntry } from "./views.js";
import { unplugServerPorts } from "../network/nova-ports.js";

/** Addresses of many servers in one query, keyed by server id. */
export async function addressesOf(db: DbOrTx, serverIds: string[]): Promise<Map<string, AddressEntry[]>> {
  const out = new Map<string, AddressEntry[]>();
  if (serverIds.length === 0) return out;
  const rows = await db
    .select({ serverId: ports.deviceId, ip: ipAllocations.ipAddress, mac: ports.macAddress, network: networks.name })
    .from(ports)
    .innerJoin(ipAllocations, eq(ipAllocations.portId, ports.id))
    .innerJoin(networks, eq(networks.id, ports.networkId))
    .where(inArray(ports.deviceId, serverIds));
  for (const r of rows) {
    const list = out.get(r.serverId) ?? [];
    list.push({ network: r.network, ip: r.ip, mac: r.mac });
    out.set(r.serverId, list);
  }
  return out;
}

export async function portIdsOf(db: DbOrTx, serverId: string): Promise<string[]> {
  return (await db.select({ id: ports.id }).from(ports).where(eq(ports.deviceId, serverId))).map((r) => r.id);
}

/** Releases a server's ports: Nova's own go (with their IPs), ports the user passed in stay, unbound. */
export async function releasePorts(db: DbOrTx, serverId: string): Promise<void> {
  await unplugServerPorts(db, serverId);
}
