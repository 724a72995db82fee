import { eq, inArray } from "drizzle-orm";
import type { PortSpec } from "#shared";
import type { DbOrTx } from "../db/client.js";
import { ipAllocations, networks, ports, subnets } from "../db/schema.js";
import { ApiError } from "../lib/errors.js";
import { nextFreeIp, parseCidr, randomMac } from "./ipam.js";

export interface NewPort {
  networkId: string;
  projectId: string;
  deviceId?: string;
  deviceOwner?: string;
  name?: string;
  hostId?: string | null;
}

/**
 * Creates a port with one fixed IP from the network's first IPv4 subnet. Must run inside a
 * write transaction; the (subnet, ip) primary key turns any race into an error, never a duplicate.
 */
export async function createPort(tx: DbOrTx, p: NewPort) {
  const subnet = (await tx.select().from(subnets).where(eq(subnets.networkId, p.networkId)).limit(1))[0];
  if (!subnet) throw new ApiError(400, `Network ${p.networkId} has no subnet to allocate an address from.`, "BadRequest");
  const used = new Set((await tx.select({ ip: ipAllocations.ipAddress }).from(ipAllocations).where(eq(ipAllocations.subnetId, subnet.id))).map((r) => r.ip));
  if (subnet.gatewayIp) used.add(subnet.gatewayIp);
  const ip = nextFreeIp(subnet.allocationPools, used);
  if (!ip) throw new ApiError(409, `No more IP addresses available on network ${p.networkId}.`, "IpAddressGenerationFailure");
  const id = crypto.randomUUID();
  await tx.insert(ports).values({
    id, networkId: p.networkId, projectId: p.projectId, name: p.name ?? "", macAddress: randomMac(),
    deviceId: p.deviceId ?? "", deviceOwner: p.deviceOwner ?? "", hostId: p.hostId ?? null,
  });
  await tx.insert(ipAllocations).values({ subnetId: subnet.id, ipAddress: ip, portId: id, networkId: p.networkId });
  return id;
}

/** What a host needs to wire up ports: MAC, IP, prefix, gateway, DHCP server address, MTU. */
export async function portSpecs(db: DbOrTx, portIds: string[]): Promise<PortSpec[]> {
  if (portIds.length === 0) return [];
  const rows = await db
    .select({ port: ports, alloc: ipAllocations, subnet: subnets, network: networks })
    .from(ports)
    .innerJoin(ipAllocations, eq(ipAllocations.portId, ports.id))
    .innerJoin(subnets, eq(subnets.id, ipAllocations.subnetId))
    .innerJoin(networks, eq(networks.id, ports.networkId))
    .where(inArray(ports.id, portIds));
  const dhcp = await dhcpAddresses(db, [...new Set(rows.map((r) => r.subnet.id))]);
  return rows.map(({ port, alloc, subnet, network }) => ({
    portId: port.id,
    networkId: port.networkId,
    mac: port.macAddress,
    ip: alloc.ipAddress,
    prefixLength: parseCidr(subnet.cidr).prefixLength,
    gateway: subnet.gatewayIp,
    dhcpServerIp: dhcp.get(subnet.id) ?? subnet.gatewayIp ?? alloc.ipAddress,
    mtu: network.mtu,
  }));
}

async function dhcpAddresses(db: DbOrTx, subnetIds: string[]): Promise<Map<string, string>> {
  if (subnetIds.length === 0) return new Map();
  const rows = await db
    .select({ subnetId: ipAllocations.subnetId, ip: ipAllocations.ipAddress, owner: ports.deviceOwner })
    .from(ipAllocations)
    .innerJoin(ports, eq(ports.id, ipAllocations.portId))
    .where(inArray(ipAllocations.subnetId, subnetIds));
  return new Map(rows.filter((r) => r.owner === "network:dhcp").map((r) => [r.subnetId, r.ip]));
}
