import { and, eq, inArray } from "drizzle-orm";
import type { Hono } from "hono";
import { z } from "zod";
import { ipAllocations, ports, subnets } from "../db/schema.js";
import { member, reader } from "../lib/auth.js";
import type { AppEnv } from "../lib/context.js";
import { ApiError, readJson } from "../lib/errors.js";
import { selectFields } from "../lib/filters.js";
import { bodies, type Ctx, notFoundOf, nowIso, owns, requireOwner } from "./common.js";
import { cidrContains, defaultGateway, defaultPools, isValidCidr, parseCidr } from "./ipam.js";
import { listResponse } from "./list.js";
import { findNetwork, visibleNetworks } from "./networks.js";
import { allocateIps, createPort } from "./ports.js";
import { enforceQuota } from "./quota-store.js";
import { checkSubnet, type SubnetShape } from "./subnet-rules.js";
import { subnetView } from "./views.js";

const pool = z.object({ start: z.string(), end: z.string() });
const route = z.object({ destination: z.string(), nexthop: z.string() });
const mutable = {
  name: z.string().max(255),
  gateway_ip: z.string().nullable(),
  enable_dhcp: z.boolean(),
  allocation_pools: z.array(pool),
  dns_nameservers: z.array(z.string()),
  host_routes: z.array(route),
  description: z.string().max(255),
};
const createBody = z.object({
  ...mutable,
  network_id: z.string(),
  cidr: z.string(),
  ip_version: z.union([z.literal(4), z.literal(6)]),
  project_id: z.string(),
  tenant_id: z.string(),
}).partial({ name: true, gateway_ip: true, enable_dhcp: true, allocation_pools: true, dns_nameservers: true, host_routes: true, description: true, project_id: true, tenant_id: true });
const updateBody = z.object({ subnet: z.object(mutable).partial().strict() });

/** Subnets are visible on the caller's own and shared networks (not on others' external ones). */
async function subnetNetworks(c: Ctx) {
  return (await visibleNetworks(c)).filter((n) => owns(c, n) || n.shared);
}

async function findSubnet(c: Ctx, id: string) {
  const nets = await subnetNetworks(c);
  const row = (await c.var.deps.db.select().from(subnets).where(eq(subnets.id, id)))[0];
  const net = row && nets.find((n) => n.id === row.networkId);
  if (!row || !net) throw notFoundOf("Subnet", id);
  return { row, net };
}

/** Neutron subnets: IPv4 with allocation pools, gateway, DNS servers, host routes and DHCP. */
export function subnetRoutes(app: Hono<AppEnv>) {
  app.get("/v2.0/subnets", reader(), async (c) => {
    const nets = await subnetNetworks(c);
    const rows = nets.length ? await c.var.deps.db.select().from(subnets).where(inArray(subnets.networkId, nets.map((n) => n.id))) : [];
    return c.json(listResponse(c, "subnets", rows.map(subnetView)));
  });

  app.get("/v2.0/subnets/:id", reader(), async (c) => {
    const { row } = await findSubnet(c, c.req.param("id"));
    return c.json({ subnet: selectFields(subnetView(row), c.req.queries("fields")) });
  });

  app.post("/v2.0/subnets", member(), async (c) => {
    const { items, bulk } = bodies(await readJson(c), "subnet", "subnets");
    const parsed = items.map((i) => createBody.parse(i));
    const { db } = c.var.deps;
    const rows = await db.transaction(async (tx) => {
      const out = [];
      for (const b of parsed) {
        const net = await findNetwork(c, b.network_id);
        requireOwner(c, net, "network");
        if (b.ip_version !== 4) throw new ApiError(400, "Invalid input for operation: only IPv4 subnets are supported.", "InvalidInput");
        if (!isValidCidr(b.cidr)) throw new ApiError(400, `Invalid input for cidr. Reason: '${b.cidr}' is not a valid IP subnet.`, "HTTPBadRequest");
        const cidr = `${parseCidr(b.cidr).network}/${parseCidr(b.cidr).prefixLength}`;
        const gateway = b.gateway_ip === undefined ? defaultGateway(cidr) : b.gateway_ip;
        const shape: SubnetShape = { cidr, gatewayIp: gateway, allocationPools: b.allocation_pools ?? defaultPools(cidr, gateway), dnsNameservers: b.dns_nameservers ?? [], hostRoutes: b.host_routes ?? [] };
        checkSubnet(shape);
        const siblings = await tx.select().from(subnets).where(eq(subnets.networkId, net.id));
        if (siblings.some((s) => cidrContains(s.cidr, parseCidr(cidr).network) || cidrContains(cidr, parseCidr(s.cidr).network))) {
          throw new ApiError(400, `Invalid input for operation: Requested subnet with cidr: ${cidr} for network: ${net.id} overlaps with another subnet.`, "InvalidInput");
        }
        await enforceQuota(tx, net.projectId, "subnet");
        const [row] = await tx.insert(subnets).values({
          id: crypto.randomUUID(), networkId: net.id, projectId: net.projectId, name: b.name ?? "", enableDhcp: b.enable_dhcp ?? true, description: b.description ?? "", ...shape,
        }).returning();
        if (row.enableDhcp) await ensureDhcpPort(tx, net.id, net.projectId, row.id);
        out.push(row);
      }
      return out;
    }, { behavior: "immediate" });
    return c.json(bulk ? { subnets: rows.map(subnetView) } : { subnet: subnetView(rows[0]) }, 201);
  });

  app.put("/v2.0/subnets/:id", member(), async (c) => {
    const { row, net } = await findSubnet(c, c.req.param("id"));
    requireOwner(c, net, "subnet");
    const { subnet: b } = updateBody.parse(await readJson(c));
    const shape: SubnetShape = {
      cidr: row.cidr, gatewayIp: b.gateway_ip === undefined ? row.gatewayIp : b.gateway_ip, allocationPools: b.allocation_pools ?? row.allocationPools,
      dnsNameservers: b.dns_nameservers ?? row.dnsNameservers, hostRoutes: b.host_routes ?? row.hostRoutes,
    };
    checkSubnet(shape);
    const { db } = c.var.deps;
    const updated = await db.transaction(async (tx) => {
      const [u] = await tx.update(subnets).set({ ...shape, name: b.name, enableDhcp: b.enable_dhcp, description: b.description, updatedAt: nowIso() }).where(eq(subnets.id, row.id)).returning();
      if (u.enableDhcp) await ensureDhcpPort(tx, net.id, net.projectId, row.id);
      return u;
    }, { behavior: "immediate" });
    return c.json({ subnet: subnetView(updated) });
  });

  app.delete("/v2.0/subnets/:id", member(), async (c) => {
    const { row, net } = await findSubnet(c, c.req.param("id"));
    requireOwner(c, net, "subnet");
    await c.var.deps.db.transaction(async (tx) => {
      const used = await tx.select({ owner: ports.deviceOwner, portId: ports.id }).from(ipAllocations).innerJoin(ports, eq(ports.id, ipAllocations.portId)).where(eq(ipAllocations.subnetId, row.id));
      if (used.some((u) => u.owner !== "network:dhcp")) throw new ApiError(409, `Unable to complete operation on subnet ${row.id}: One or more ports have an IP allocation from this subnet.`, "SubnetInUse");
      await tx.delete(subnets).where(eq(subnets.id, row.id));
      const dhcp = used.map((u) => u.portId);
      if (dhcp.length) await dropEmptyDhcpPorts(tx, dhcp);
    }, { behavior: "immediate" });
    return c.body(null, 204);
  });
}

type Tx = Parameters<Parameters<Ctx["var"]["deps"]["db"]["transaction"]>[0]>[0];

/** The network's DHCP port gets an address on every DHCP-enabled subnet. */
async function ensureDhcpPort(tx: Tx, networkId: string, projectId: string, subnetId: string) {
  const existing = (await tx.select().from(ports).where(and(eq(ports.networkId, networkId), eq(ports.deviceOwner, "network:dhcp"))))[0];
  if (!existing) {
    await createPort(tx, { networkId, projectId, deviceOwner: "network:dhcp", deviceId: `dhcp-${networkId}`, fixedIps: [{ subnetId }] });
    return;
  }
  const has = await tx.select().from(ipAllocations).where(and(eq(ipAllocations.portId, existing.id), eq(ipAllocations.subnetId, subnetId)));
  if (has.length) return;
  await allocateIps(tx, networkId, existing.id, [{ subnetId }]);
}

async function dropEmptyDhcpPorts(tx: Tx, portIds: string[]) {
  for (const id of portIds) {
    const left = await tx.select().from(ipAllocations).where(eq(ipAllocations.portId, id)).limit(1);
    if (!left.length) await tx.delete(ports).where(eq(ports.id, id));
  }
}
