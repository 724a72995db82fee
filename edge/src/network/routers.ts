import { and, eq, inArray, isNotNull } from "drizzle-orm";
import type { Hono } from "hono";
import { z } from "zod";
import type { DbOrTx } from "../db/client.js";
import { floatingIps, ipAllocations, ports, routers, subnets } from "../db/schema.js";
import { callerProject, member, reader } from "../lib/auth.js";
import type { AppEnv } from "../lib/context.js";
import { ApiError, readJson } from "../lib/errors.js";
import { selectFields } from "../lib/filters.js";
import { type Ctx, notFoundOf, nowIso, ownerOf, owns } from "./common.js";
import { listResponse } from "./list.js";
import { findNetwork } from "./networks.js";
import { findPort } from "./port-routes.js";
import { createPort } from "./ports.js";
import { enforceQuota } from "./quota-store.js";
import { cidrsOverlap } from "./routing.js";
import { routerView } from "./views.js";

type Tx = Parameters<Parameters<Ctx["var"]["deps"]["db"]["transaction"]>[0]>[0];

const gatewayInfo = z.object({
  network_id: z.string().optional(),
  enable_snat: z.boolean().optional(),
  external_fixed_ips: z.array(z.object({ subnet_id: z.string().optional(), ip_address: z.string().optional() })).optional(),
}).strict();
const mutable = { name: z.string().max(255), admin_state_up: z.boolean(), description: z.string().max(255), external_gateway_info: gatewayInfo.nullable() };
const createBody = z.object({ router: z.object({ ...mutable, project_id: z.string(), tenant_id: z.string() }).partial().strict() });
const updateBody = z.object({ router: z.object(mutable).partial().strict() });
const interfaceBody = z.object({ subnet_id: z.string().optional(), port_id: z.string().optional() });

async function findRouter(c: Ctx, id: string) {
  const r = (await c.var.deps.db.select().from(routers).where(eq(routers.id, id)))[0];
  if (!r || !owns(c, r)) throw notFoundOf("Router", id);
  return r;
}

export async function routerViews(db: DbOrTx, rows: Array<typeof routers.$inferSelect>) {
  if (rows.length === 0) return [];
  const gws = await db.select().from(ports).where(and(inArray(ports.deviceId, rows.map((r) => r.id)), eq(ports.deviceOwner, "network:router_gateway")));
  const ips = gws.length ? await db.select().from(ipAllocations).where(inArray(ipAllocations.portId, gws.map((g) => g.id))) : [];
  return rows.map((r) => {
    const port = gws.find((g) => g.deviceId === r.id);
    return routerView(r, port && { port, ips: ips.filter((i) => i.portId === port.id) });
  });
}

const viewOf = async (db: DbOrTx, id: string) => (await routerViews(db, await db.select().from(routers).where(eq(routers.id, id))))[0];

/** Sets, changes or clears a router's gateway on an external network. */
async function setGateway(c: Ctx, tx: Tx, r: typeof routers.$inferSelect, requested: z.infer<typeof gatewayInfo> | null) {
  // An empty object means no gateway, as null does.
  const info = requested?.network_id ? { ...requested, network_id: requested.network_id } : null;
  if (info && (info.enable_snat !== undefined || info.external_fixed_ips) && !c.var.auth.isAdmin) {
    throw new ApiError(403, "Policy doesn't allow setting external_gateway_info:enable_snat or external_fixed_ips.", "PolicyNotAuthorized");
  }
  const current = (await tx.select().from(ports).where(and(eq(ports.deviceId, r.id), eq(ports.deviceOwner, "network:router_gateway"))))[0];
  if (info && current && info.network_id === r.gatewayNetworkId && !info.external_fixed_ips) {
    await tx.update(routers).set({ enableSnat: info.enable_snat ?? r.enableSnat }).where(eq(routers.id, r.id));
    return;
  }
  if (current) {
    const inUse = await tx.select({ id: floatingIps.id }).from(floatingIps).where(and(eq(floatingIps.routerId, r.id), isNotNull(floatingIps.portId))).limit(1);
    if (inUse.length) throw new ApiError(409, `Gateway cannot be updated for router ${r.id}, since a gateway to external network ${r.gatewayNetworkId} is required by one or more floating IPs.`, "RouterExternalGatewayInUseByFloatingIp");
    await tx.delete(ports).where(eq(ports.id, current.id));
  }
  if (!info) {
    await tx.update(routers).set({ gatewayNetworkId: null, enableSnat: true }).where(eq(routers.id, r.id));
    return;
  }
  const net = await findNetwork(c, info.network_id);
  if (!net.external) throw new ApiError(400, `Bad router request: Network ${net.id} is not an external network.`, "BadRequest");
  await createPort(tx, {
    networkId: net.id, projectId: "", deviceOwner: "network:router_gateway", deviceId: r.id,
    fixedIps: info.external_fixed_ips?.map((f) => ({ subnetId: f.subnet_id, ipAddress: f.ip_address })),
  });
  await tx.update(routers).set({ gatewayNetworkId: net.id, enableSnat: info.enable_snat ?? true }).where(eq(routers.id, r.id));
}

async function interfaceInfo(tx: DbOrTx, r: typeof routers.$inferSelect, portId: string) {
  const p = (await tx.select().from(ports).where(eq(ports.id, portId)))[0];
  const ips = await tx.select().from(ipAllocations).where(eq(ipAllocations.portId, portId));
  return { id: r.id, tenant_id: r.projectId, project_id: r.projectId, port_id: portId, network_id: p.networkId, subnet_id: ips[0]?.subnetId, subnet_ids: ips.map((i) => i.subnetId) };
}

/** CIDRs of the subnets the router has interfaces on. */
async function interfaceCidrs(tx: DbOrTx, routerId: string) {
  return tx.select({ subnetId: subnets.id, cidr: subnets.cidr }).from(ports)
    .innerJoin(ipAllocations, eq(ipAllocations.portId, ports.id)).innerJoin(subnets, eq(subnets.id, ipAllocations.subnetId))
    .where(and(eq(ports.deviceId, routerId), eq(ports.deviceOwner, "network:router_interface")));
}

async function addInterface(c: Ctx, tx: Tx, r: typeof routers.$inferSelect, b: z.infer<typeof interfaceBody>) {
  if (!!b.subnet_id === !!b.port_id) throw new ApiError(400, "Bad router request: Either subnet_id or port_id must be specified (not both).", "BadRequest");
  const existing = await interfaceCidrs(tx, r.id);
  const checkSubnet = (s: typeof subnets.$inferSelect) => {
    if (existing.some((e) => e.subnetId === s.id)) throw new ApiError(400, `Bad router request: Router already has a port on subnet ${s.id}.`, "BadRequest");
    const clash = existing.find((e) => cidrsOverlap(e.cidr, s.cidr));
    if (clash) throw new ApiError(400, `Bad router request: Cidr ${s.cidr} of subnet ${s.id} overlaps with cidr ${clash.cidr} of subnet ${clash.subnetId}.`, "BadRequest");
  };
  if (b.subnet_id) {
    const s = (await tx.select().from(subnets).where(eq(subnets.id, b.subnet_id)))[0];
    if (!s) throw notFoundOf("Subnet", b.subnet_id);
    const net = await findNetwork(c, s.networkId);
    if (!owns(c, net) && !net.shared) throw notFoundOf("Subnet", b.subnet_id);
    if (!s.gatewayIp) throw new ApiError(400, `Bad router request: Subnet for router interface must have a gateway IP.`, "BadRequest");
    checkSubnet(s);
    const portId = await createPort(tx, { networkId: s.networkId, projectId: r.projectId, deviceOwner: "network:router_interface", deviceId: r.id, fixedIps: [{ subnetId: s.id, ipAddress: s.gatewayIp }] });
    return interfaceInfo(tx, r, portId);
  }
  const p = await findPort(c, b.port_id!);
  if (p.deviceId) throw new ApiError(409, `Unable to complete operation on port ${p.id} for network ${p.networkId}. Port already has an attached device ${p.deviceId}.`, "PortInUse");
  const ips = await tx.select().from(ipAllocations).where(eq(ipAllocations.portId, p.id));
  if (ips.length === 0) throw new ApiError(400, `Bad router request: Router port must have at least one fixed IP.`, "BadRequest");
  for (const ip of ips) checkSubnet((await tx.select().from(subnets).where(eq(subnets.id, ip.subnetId)))[0]);
  await tx.update(ports).set({ deviceId: r.id, deviceOwner: "network:router_interface", securityGroupIds: [], updatedAt: nowIso() }).where(eq(ports.id, p.id));
  return interfaceInfo(tx, r, p.id);
}

async function removeInterface(tx: Tx, r: typeof routers.$inferSelect, b: z.infer<typeof interfaceBody>) {
  if (!b.subnet_id && !b.port_id) throw new ApiError(400, "Bad router request: Either subnet_id or port_id must be specified.", "BadRequest");
  const ifaces = await tx.select({ port: ports, subnetId: ipAllocations.subnetId }).from(ports).innerJoin(ipAllocations, eq(ipAllocations.portId, ports.id))
    .where(and(eq(ports.deviceId, r.id), eq(ports.deviceOwner, "network:router_interface")));
  const hit = ifaces.find((i) => (b.port_id ? i.port.id === b.port_id : true) && (b.subnet_id ? i.subnetId === b.subnet_id : true));
  if (!hit) {
    if (b.port_id) throw new ApiError(404, `Router ${r.id} does not have an interface with id ${b.port_id}.`, "RouterInterfaceNotFound");
    throw new ApiError(404, `Router ${r.id} has no interface on subnet ${b.subnet_id}.`, "RouterInterfaceNotFoundForSubnet");
  }
  if (b.port_id && b.subnet_id && hit.subnetId !== b.subnet_id) throw new ApiError(409, `Subnet ${b.subnet_id} does not match port ${b.port_id}.`, "SubnetMismatchForPort");
  const fips = await tx.select({ id: floatingIps.id }).from(floatingIps).innerJoin(ipAllocations, eq(ipAllocations.portId, floatingIps.portId))
    .where(and(eq(floatingIps.routerId, r.id), eq(ipAllocations.subnetId, hit.subnetId))).limit(1);
  if (fips.length) throw new ApiError(409, `Router interface for subnet ${hit.subnetId} on router ${r.id} cannot be deleted, as it is required by one or more floating IPs.`, "RouterInterfaceInUseByFloatingIP");
  const info = await interfaceInfo(tx, r, hit.port.id);
  await tx.delete(ports).where(eq(ports.id, hit.port.id));
  return info;
}

/** Neutron routers with external gateways (SNAT) and interfaces by subnet or port. */
export function routerRoutes(app: Hono<AppEnv>) {
  app.get("/v2.0/routers", reader(), async (c) => {
    const { db } = c.var.deps;
    const rows = c.var.auth.isAdmin ? await db.select().from(routers) : await db.select().from(routers).where(eq(routers.projectId, callerProject(c)));
    return c.json(listResponse(c, "routers", await routerViews(db, rows)));
  });

  app.get("/v2.0/routers/:id", reader(), async (c) => {
    const r = await findRouter(c, c.req.param("id"));
    return c.json({ router: selectFields(await viewOf(c.var.deps.db, r.id), c.req.queries("fields")) });
  });

  app.post("/v2.0/routers", member(), async (c) => {
    const { router: b } = createBody.parse(await readJson(c));
    const { db } = c.var.deps;
    const projectId = ownerOf(c, b);
    const id = await db.transaction(async (tx) => {
      await enforceQuota(tx, projectId, "router");
      const [r] = await tx.insert(routers).values({ id: crypto.randomUUID(), projectId, name: b.name ?? "", adminStateUp: b.admin_state_up ?? true, description: b.description ?? "" }).returning();
      if (b.external_gateway_info) await setGateway(c, tx, r, b.external_gateway_info);
      return r.id;
    }, { behavior: "immediate" });
    return c.json({ router: await viewOf(db, id) }, 201);
  });

  app.put("/v2.0/routers/:id", member(), async (c) => {
    const r = await findRouter(c, c.req.param("id"));
    const { router: b } = updateBody.parse(await readJson(c));
    const { db } = c.var.deps;
    await db.transaction(async (tx) => {
      if (b.external_gateway_info !== undefined) await setGateway(c, tx, r, b.external_gateway_info);
      await tx.update(routers).set({ name: b.name, adminStateUp: b.admin_state_up, description: b.description, updatedAt: nowIso() }).where(eq(routers.id, r.id));
    }, { behavior: "immediate" });
    return c.json({ router: await viewOf(db, r.id) });
  });

  app.delete("/v2.0/routers/:id", member(), async (c) => {
    const r = await findRouter(c, c.req.param("id"));
    await c.var.deps.db.transaction(async (tx) => {
      const ifaces = await tx.select({ id: ports.id }).from(ports).where(and(eq(ports.deviceId, r.id), eq(ports.deviceOwner, "network:router_interface"))).limit(1);
      if (ifaces.length) throw new ApiError(409, `Router ${r.id} still has ports.`, "RouterInUse");
      const fips = await tx.select({ id: floatingIps.id }).from(floatingIps).where(and(eq(floatingIps.routerId, r.id), isNotNull(floatingIps.portId))).limit(1);
      if (fips.length) throw new ApiError(409, `Router ${r.id} is still used by floating IPs.`, "RouterInUse");
      await tx.delete(ports).where(and(eq(ports.deviceId, r.id), eq(ports.deviceOwner, "network:router_gateway")));
      await tx.delete(routers).where(eq(routers.id, r.id));
    }, { behavior: "immediate" });
    return c.body(null, 204);
  });

  for (const [action, fn] of [["add_router_interface", addInterface], ["remove_router_interface", (c: Ctx, tx: Tx, r: typeof routers.$inferSelect, b: z.infer<typeof interfaceBody>) => removeInterface(tx, r, b)]] as const) {
    app.put(`/v2.0/routers/:id/${action}`, member(), async (c) => {
      const r = await findRouter(c, c.req.param("id"));
      const b = interfaceBody.parse(await readJson(c));
      const info = await c.var.deps.db.transaction((tx) => fn(c, tx, r, b), { behavior: "immediate" });
      return c.json(info);
    });
  }
}
