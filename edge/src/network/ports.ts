import { and, eq, inArray } from "drizzle-orm";
import type { PortSpec } from "#shared";
import type { DbOrTx } from "../db/client.js";
import { ipAllocations, networks, ports, subnets } from "../db/schema.js";
import { ApiError } from "../lib/errors.js";
import { cidrContains, nextFreeIp, parseCidr, randomMac } from "./ipam.js";
import { ensureDefaultGroup } from "./sg-store.js";

export interface FixedIpRequest { subnetId?: string; ipAddress?: string }

export interface NewPort {
  networkId: string;
  projectId: string;
  deviceId?: string;
  deviceOwner?: string;
  name?: string;
  hostId?: string | null;
  mac?: string;
  fixedIps?: FixedIpRequest[];
  /** Undefined: the project's default group (for ports with port security). */
  securityGroupIds?: string[];
  portSecurityEnabled?: boolean;
  allowedAddressPairs?: Array<{ ip_address: string; mac_address: string }>;
  adminStateUp?: boolean;
  description?: string;
  /** True for ports a user created through the API (Nova keeps them when it deletes a server). */
  preexisting?: boolean;
}

/**
 * Allocates fixed IPs for a port: the requested ones (checked against their subnet and for reuse),
 * or the first free address of the network's first subnet with room. Only router interfaces
 * (allowGateway) may take a subnet's gateway address. Runs inside a write
 * transaction; the (subnet, ip) primary key turns a race into an error, never a duplicate.
 */
export async function allocateIps(tx: DbOrTx, networkId: string, portId: string, requested: FixedIpRequest[] | undefined, allowGateway = false) {
  const subs = await tx.select().from(subnets).where(eq(subnets.networkId, networkId));
  if (requested && requested.length === 0) return;
  // A network without subnets gives its ports no address, as Neutron does.
  if (!requested && subs.length === 0) return;
  const wants = requested ?? [{}];
  for (const want of wants) {
    const subnet = want.subnetId ? subs.find((s) => s.id === want.subnetId) : want.ipAddress ? subs.find((s) => cidrContains(s.cidr, want.ipAddress!)) : undefined;
    if (want.subnetId && !subnet) throw new ApiError(400, `Invalid input for operation: Failed to create port on network ${networkId}, because fixed_ips included invalid subnet ${want.subnetId}.`, "InvalidInput");
    if (want.ipAddress) {
      if (!subnet || !cidrContains(subnet.cidr, want.ipAddress)) throw new ApiError(400, `IP address ${want.ipAddress} is not a valid IP for the specified subnet.`, "InvalidIpForSubnet");
      const taken = await tx.select().from(ipAllocations).where(and(eq(ipAllocations.subnetId, subnet.id), eq(ipAllocations.ipAddress, want.ipAddress)));
      if (taken.length || (want.ipAddress === subnet.gatewayIp && !allowGateway)) throw new ApiError(409, `IP address ${want.ipAddress} already allocated in subnet ${subnet.id}`, "IpAddressAlreadyAllocated");
      await tx.insert(ipAllocations).values({ subnetId: subnet.id, ipAddress: want.ipAddress, portId, networkId });
      continue;
    }
    const candidates = subnet ? [subnet] : subs;
    if (candidates.length === 0) throw new ApiError(400, `Network ${networkId} has no subnet to allocate an address from.`, "BadRequest");
    let ip: string | null = null;
    for (const s of candidates) {
      const used = new Set((await tx.select({ ip: ipAllocations.ipAddress }).from(ipAllocations).where(eq(ipAllocations.subnetId, s.id))).map((r) => r.ip));
      if (s.gatewayIp) used.add(s.gatewayIp);
      ip = nextFreeIp(s.allocationPools, used);
      if (ip) {
        await tx.insert(ipAllocations).values({ subnetId: s.id, ipAddress: ip, portId, networkId });
        break;
      }
    }
    if (!ip) throw new ApiError(409, `No more IP addresses available on network ${networkId}.`, "IpAddressGenerationFailure");
  }
}

/** Creates a port with its fixed IPs; must run inside a write transaction. */
export async function createPort(tx: DbOrTx, p: NewPort) {
  const id = crypto.randomUUID();
  const mac = p.mac ?? randomMac();
  const clash = await tx.select({ id: ports.id }).from(ports).where(and(eq(ports.networkId, p.networkId), eq(ports.macAddress, mac)));
  if (clash.length) throw new ApiError(409, `Unable to complete operation for network ${p.networkId}. The mac address ${mac} is in use.`, "MacAddressInUse");
  const portSecurity = p.portSecurityEnabled ?? true;
  const isDevicePort = !(p.deviceOwner ?? "").startsWith("network:");
  const securityGroupIds = p.securityGroupIds ?? (portSecurity && isDevicePort ? [await ensureDefaultGroup(tx, p.projectId)] : []);
  await tx.insert(ports).values({
    id, networkId: p.networkId, projectId: p.projectId, name: p.name ?? "", macAddress: mac,
    deviceId: p.deviceId ?? "", deviceOwner: p.deviceOwner ?? "", hostId: p.hostId ?? null,
    portSecurityEnabled: portSecurity, securityGroupIds, allowedAddressPairs: p.allowedAddressPairs ?? [],
    adminStateUp: p.adminStateUp ?? true, description: p.description ?? "", preexisting: p.preexisting ?? false,
  });
  await allocateIps(tx, p.networkId, id, p.fixedIps, p.deviceOwner === "network:router_interface");
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
    dhcp: subnet.enableDhcp && dhcp.has(subnet.id),
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
