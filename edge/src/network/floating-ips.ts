import { and, eq, inArray } from "drizzle-orm";
import type { Hono } from "hono";
import { z } from "zod";
import { floatingIps, ipAllocations, ports, routers } from "../db/schema.js";
import { callerProject, member, reader } from "../lib/auth.js";
import type { AppEnv } from "../lib/context.js";
import { ApiError, readJson } from "../lib/errors.js";
import { selectFields } from "../lib/filters.js";
import { adminOnly, type Ctx, notFoundOf, nowIso, ownerOf, owns } from "./common.js";
import { listResponse } from "./list.js";
import { findNetwork } from "./networks.js";
import { findPort } from "./port-routes.js";
import { createPort } from "./ports.js";
import { enforceQuota } from "./quota-store.js";
import { routerForFloatingIp } from "./routing.js";
import { floatingIpView } from "./views.js";

type Tx = Parameters<Parameters<Ctx["var"]["deps"]["db"]["transaction"]>[0]>[0];

const assoc = { port_id: z.string().nullable(), fixed_ip_address: z.string().nullable(), description: z.string().max(255) };
const createBody = z.object({
  floatingip: z.object({ ...assoc, floating_network_id: z.string(), floating_ip_address: z.string(), subnet_id: z.string(), project_id: z.string(), tenant_id: z.string() })
    .partial().required({ floating_network_id: true }).strict(),
});
const updateBody = z.object({ floatingip: z.object(assoc).partial().strict() });

async function findFip(c: Ctx, id: string) {
  const f = (await c.var.deps.db.select().from(floatingIps).where(eq(floatingIps.id, id)))[0];
  if (!f || !owns(c, f)) throw notFoundOf("Floating IP", id);
  return f;
}

/**
 * Resolves an association: the port's fixed IP (given, or its first) and the router that links the
 * port's subnet to the floating IP's external network.
 */
async function association(c: Ctx, tx: Tx, fip: { id?: string; projectId: string; floatingNetworkId: string }, portId: string, fixedIp: string | null | undefined) {
  const port = await findPort(c, portId);
  if (port.projectId !== fip.projectId && !c.var.auth.isAdmin) throw notFoundOf("Port", portId);
  const ips = await tx.select().from(ipAllocations).where(eq(ipAllocations.portId, port.id));
  const alloc = fixedIp ? ips.find((i) => i.ipAddress === fixedIp) : ips[0];
  if (!alloc) {
    throw new ApiError(400, fixedIp ? `Bad floatingip request: Port ${port.id} does not have fixed ip ${fixedIp}.` : `Bad floatingip request: Port ${port.id} does not have any IPv4 address.`, "BadRequest");
  }
  const taken = (await tx.select().from(floatingIps).where(and(eq(floatingIps.portId, port.id), eq(floatingIps.fixedIpAddress, alloc.ipAddress))))
    .find((f) => f.id !== fip.id);
  if (taken) throw new ApiError(409, `Cannot associate floating IP with port ${port.id} using fixed IP ${alloc.ipAddress}, as that fixed IP already has floating IP ${taken.floatingIpAddress}.`, "FloatingIPPortAlreadyAssociated");
  const rows = await tx.select().from(routers).where(eq(routers.gatewayNetworkId, fip.floatingNetworkId));
  const ifaces = rows.length ? await tx.select({ routerId: ports.deviceId, subnetId: ipAllocations.subnetId }).from(ports).innerJoin(ipAllocations, eq(ipAllocations.portId, ports.id))
    .where(and(inArray(ports.deviceId, rows.map((r) => r.id)), eq(ports.deviceOwner, "network:router_interface"))) : [];
  const topology = rows.map((r) => ({ id: r.id, gatewayNetworkId: r.gatewayNetworkId, subnetIds: ifaces.filter((i) => i.routerId === r.id).map((i) => i.subnetId) }));
  const routerId = routerForFloatingIp(topology, fip.floatingNetworkId, alloc.subnetId);
  if (!routerId) {
    throw new ApiError(404, `External network ${fip.floatingNetworkId} is not reachable from subnet ${alloc.subnetId}. Therefore, cannot associate Port ${port.id} with a Floating IP.`, "ExternalGatewayForFloatingIPNotFound");
  }
  return { portId: port.id, fixedIpAddress: alloc.ipAddress, routerId };
}

const detached = { portId: null, fixedIpAddress: null, routerId: null };

/** Neutron floating IPs: allocated on an external network, 1:1 NAT to a port's fixed IP through a router. */
export function floatingIpRoutes(app: Hono<AppEnv>) {
  app.get("/v2.0/floatingips", reader(), async (c) => {
    const { db } = c.var.deps;
    const rows = c.var.auth.isAdmin ? await db.select().from(floatingIps) : await db.select().from(floatingIps).where(eq(floatingIps.projectId, callerProject(c)));
    return c.json(listResponse(c, "floatingips", rows.map(floatingIpView)));
  });

  app.get("/v2.0/floatingips/:id", reader(), async (c) => {
    const f = await findFip(c, c.req.param("id"));
    return c.json({ floatingip: selectFields(floatingIpView(f), c.req.queries("fields")) });
  });

  app.post("/v2.0/floatingips", member(), async (c) => {
    const { floatingip: b } = createBody.parse(await readJson(c));
    adminOnly(c, b, ["floating_ip_address"]);
    const projectId = ownerOf(c, b);
    const net = await findNetwork(c, b.floating_network_id);
    if (!net.external) throw new ApiError(400, `Bad floatingip request: Network ${net.id} is not a valid external network.`, "BadRequest");
    const { db } = c.var.deps;
    const row = await db.transaction(async (tx) => {
      await enforceQuota(tx, projectId, "floatingip");
      const id = crypto.randomUUID();
      const fixed = b.floating_ip_address || b.subnet_id ? [{ ipAddress: b.floating_ip_address, subnetId: b.subnet_id }] : undefined;
      const floatingPortId = await createPort(tx, { networkId: net.id, projectId: "", deviceOwner: "network:floatingip", deviceId: id, fixedIps: fixed });
      const address = (await tx.select().from(ipAllocations).where(eq(ipAllocations.portId, floatingPortId)))[0].ipAddress;
      const link = b.port_id ? await association(c, tx, { projectId, floatingNetworkId: net.id }, b.port_id, b.fixed_ip_address) : detached;
      const [f] = await tx.insert(floatingIps).values({ id, projectId, floatingNetworkId: net.id, floatingPortId, floatingIpAddress: address, description: b.description ?? "", ...link }).returning();
      return f;
    }, { behavior: "immediate" });
    return c.json({ floatingip: floatingIpView(row) }, 201);
  });

  app.put("/v2.0/floatingips/:id", member(), async (c) => {
    const f = await findFip(c, c.req.param("id"));
    const { floatingip: b } = updateBody.parse(await readJson(c));
    const { db } = c.var.deps;
    const row = await db.transaction(async (tx) => {
      const link = b.port_id === undefined ? {} : b.port_id === null ? detached : await association(c, tx, f, b.port_id, b.fixed_ip_address);
      const [u] = await tx.update(floatingIps).set({ ...link, description: b.description, updatedAt: nowIso() }).where(eq(floatingIps.id, f.id)).returning();
      return u;
    }, { behavior: "immediate" });
    return c.json({ floatingip: floatingIpView(row) });
  });

  app.delete("/v2.0/floatingips/:id", member(), async (c) => {
    const f = await findFip(c, c.req.param("id"));
    await c.var.deps.db.transaction(async (tx) => {
      await tx.delete(floatingIps).where(eq(floatingIps.id, f.id));
      await tx.delete(ports).where(eq(ports.id, f.floatingPortId));
    }, { behavior: "immediate" });
    return c.body(null, 204);
  });
}
