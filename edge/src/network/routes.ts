import { and, eq, inArray, ne, or } from "drizzle-orm";
import { Hono, type Context } from "hono";
import { z } from "zod";
import { ipAllocations, networks, ports, subnets } from "../db/schema.js";
import { authenticate, callerProject, member, reader } from "../lib/auth.js";
import type { AppEnv } from "../lib/context.js";
import { ApiError, errorHandler, readJson } from "../lib/errors.js";
import { filterByQuery, selectFields } from "../lib/filters.js";
import { publicBase } from "../lib/urls.js";
import { cidrContains, defaultGateway, defaultPools, isValidCidr, parseCidr } from "./ipam.js";
import { createPort } from "./ports.js";
import { networkView, portView, subnetView } from "./views.js";

const neutronError = (e: ApiError) => ({ NeutronError: { type: e.type ?? "HTTPError", message: e.message, detail: "" } });

const networkBody = z.object({
  network: z.object({
    name: z.string().max(255).default(""),
    admin_state_up: z.boolean().default(true),
    shared: z.boolean().default(false),
    "router:external": z.boolean().default(false),
    mtu: z.number().int().min(68).max(9000).default(1500),
    description: z.string().default(""),
    project_id: z.string().optional(),
    tenant_id: z.string().optional(),
  }),
});

const subnetBody = z.object({
  subnet: z.object({
    network_id: z.string(),
    cidr: z.string(),
    ip_version: z.literal(4).default(4),
    name: z.string().max(255).default(""),
    gateway_ip: z.string().nullable().optional(),
    enable_dhcp: z.boolean().default(true),
    allocation_pools: z.array(z.object({ start: z.string(), end: z.string() })).optional(),
    dns_nameservers: z.array(z.string()).default([]),
    description: z.string().default(""),
    project_id: z.string().optional(),
    tenant_id: z.string().optional(),
  }),
});

type Ctx = Context<AppEnv>;
const query = (c: Ctx) => c.req.queries() as Record<string, string[]>;
const fields = (c: Ctx) => c.req.queries("fields");

/** Networks the caller may see: its own, shared and external ones (admins see all). */
async function visibleNetworks(c: Ctx) {
  const { db } = c.var.deps;
  if (c.var.auth.isAdmin) return db.select().from(networks);
  const pid = callerProject(c);
  return db.select().from(networks).where(or(eq(networks.projectId, pid), eq(networks.shared, true), eq(networks.external, true)));
}

async function findNetwork(c: Ctx, id: string) {
  const n = (await visibleNetworks(c)).find((x) => x.id === id);
  if (!n) throw new ApiError(404, `Network ${id} could not be found.`, "NetworkNotFound");
  return n;
}

const ownerOf = (c: Ctx, body: { project_id?: string; tenant_id?: string }) => {
  const wanted = body.project_id ?? body.tenant_id;
  if (wanted && wanted !== c.var.auth.projectId && !c.var.auth.isAdmin) throw new ApiError(403, "Only admins may create resources for another project.", "HTTPForbidden");
  return wanted ?? callerProject(c);
};

/** Neutron v2.0: networks, subnets and ports. */
export function networkApp() {
  const app = new Hono<AppEnv>();
  app.onError(errorHandler(neutronError));

  const versions = (c: Ctx) => c.json({ versions: [{ id: "v2.0", status: "CURRENT", links: [{ rel: "self", href: `${publicBase(c)}/network/v2.0/` }] }] });
  app.get("/", versions);
  app.get("/v2.0", authenticate(), (c) => c.json({ resources: ["network", "subnet", "port"].map((r) => ({ name: r, collection: `${r}s`, links: [{ rel: "self", href: `${publicBase(c)}/network/v2.0/${r}s` }] })) }));
  app.get("/v2.0/extensions", authenticate(), (c) => c.json({ extensions: [] }));

  app.use("/v2.0/*", authenticate());

  app.get("/v2.0/networks", reader(), async (c) => {
    const rows = await visibleNetworks(c);
    const subs = rows.length ? await c.var.deps.db.select({ id: subnets.id, networkId: subnets.networkId }).from(subnets).where(inArray(subnets.networkId, rows.map((r) => r.id))) : [];
    const views = rows.map((n) => networkView(n, subs.filter((s) => s.networkId === n.id).map((s) => s.id)));
    return c.json({ networks: filterByQuery(views, query(c), ["fields"]).map((v) => selectFields(v, fields(c))) });
  });

  app.get("/v2.0/networks/:id", reader(), async (c) => {
    const n = await findNetwork(c, c.req.param("id"));
    const subs = await c.var.deps.db.select({ id: subnets.id }).from(subnets).where(eq(subnets.networkId, n.id));
    return c.json({ network: selectFields(networkView(n, subs.map((s) => s.id)), fields(c)) });
  });

  app.post("/v2.0/networks", member(), async (c) => {
    const { network: b } = networkBody.parse(await readJson(c));
    if ((b.shared || b["router:external"]) && !c.var.auth.isAdmin) throw new ApiError(403, "Only admins may create shared or external networks.", "HTTPForbidden");
    const row = { id: crypto.randomUUID(), name: b.name, projectId: ownerOf(c, b), shared: b.shared, external: b["router:external"], adminStateUp: b.admin_state_up, mtu: b.mtu, description: b.description };
    const [created] = await c.var.deps.db.insert(networks).values(row).returning();
    return c.json({ network: networkView(created, []) }, 201);
  });

  app.delete("/v2.0/networks/:id", member(), async (c) => {
    const n = await findNetwork(c, c.req.param("id"));
    if (n.projectId !== c.var.auth.projectId && !c.var.auth.isAdmin) throw new ApiError(403, "You may not delete another project's network.", "HTTPForbidden");
    const { db } = c.var.deps;
    await db.transaction(async (tx) => {
      const inUse = await tx.select({ id: ports.id }).from(ports).where(and(eq(ports.networkId, n.id), ne(ports.deviceOwner, "network:dhcp"))).limit(1);
      if (inUse.length) throw new ApiError(409, `Unable to complete operation on network ${n.id}. There are one or more ports still in use on the network.`, "NetworkInUse");
      await tx.delete(ports).where(eq(ports.networkId, n.id));
      await tx.delete(networks).where(eq(networks.id, n.id));
    }, { behavior: "immediate" });
    return c.body(null, 204);
  });

  app.get("/v2.0/subnets", reader(), async (c) => {
    const nets = await visibleNetworks(c);
    const rows = nets.length ? await c.var.deps.db.select().from(subnets).where(inArray(subnets.networkId, nets.map((n) => n.id))) : [];
    return c.json({ subnets: filterByQuery(rows.map(subnetView), query(c), ["fields"]).map((v) => selectFields(v, fields(c))) });
  });

  app.get("/v2.0/subnets/:id", reader(), async (c) => {
    const nets = await visibleNetworks(c);
    const row = (await c.var.deps.db.select().from(subnets).where(eq(subnets.id, c.req.param("id"))))[0];
    if (!row || !nets.some((n) => n.id === row.networkId)) throw new ApiError(404, `Subnet ${c.req.param("id")} could not be found.`, "SubnetNotFound");
    return c.json({ subnet: selectFields(subnetView(row), fields(c)) });
  });

  app.post("/v2.0/subnets", member(), async (c) => {
    const { subnet: b } = subnetBody.parse(await readJson(c));
    const net = await findNetwork(c, b.network_id);
    if (net.projectId !== c.var.auth.projectId && !c.var.auth.isAdmin) throw new ApiError(403, "You may not add a subnet to another project's network.", "HTTPForbidden");
    if (!isValidCidr(b.cidr)) throw new ApiError(400, `Invalid input for cidr. Reason: '${b.cidr}' is not a valid IP subnet.`, "HTTPBadRequest");
    const cidr = `${parseCidr(b.cidr).network}/${parseCidr(b.cidr).prefixLength}`;
    const gateway = b.gateway_ip === undefined ? defaultGateway(cidr) : b.gateway_ip;
    if (gateway && !cidrContains(cidr, gateway)) throw new ApiError(400, `Gateway IP ${gateway} is not in subnet ${cidr}.`, "HTTPBadRequest");
    const pools = b.allocation_pools ?? defaultPools(cidr, gateway);
    for (const p of pools) if (!cidrContains(cidr, p.start) || !cidrContains(cidr, p.end)) throw new ApiError(400, `The allocation pool ${p.start}-${p.end} spans beyond the subnet cidr ${cidr}.`, "InvalidAllocationPool");
    const { db } = c.var.deps;
    const created = await db.transaction(async (tx) => {
      const siblings = await tx.select().from(subnets).where(eq(subnets.networkId, net.id));
      const overlap = siblings.find((s) => cidrContains(s.cidr, parseCidr(cidr).network) || cidrContains(cidr, parseCidr(s.cidr).network));
      if (overlap) throw new ApiError(400, `Invalid input for operation: Requested subnet with cidr: ${cidr} for network: ${net.id} overlaps with another subnet.`, "InvalidInput");
      const [row] = await tx.insert(subnets).values({
        id: crypto.randomUUID(), networkId: net.id, projectId: net.projectId, name: b.name, cidr, gatewayIp: gateway,
        enableDhcp: b.enable_dhcp, allocationPools: pools, dnsNameservers: b.dns_nameservers, description: b.description,
      }).returning();
      if (b.enable_dhcp) await createPort(tx, { networkId: net.id, projectId: net.projectId, deviceOwner: "network:dhcp", deviceId: `dhcp-${net.id}` });
      return row;
    }, { behavior: "immediate" });
    return c.json({ subnet: subnetView(created) }, 201);
  });

  app.delete("/v2.0/subnets/:id", member(), async (c) => {
    const nets = await visibleNetworks(c);
    const { db } = c.var.deps;
    const row = (await db.select().from(subnets).where(eq(subnets.id, c.req.param("id"))))[0];
    const net = row && nets.find((n) => n.id === row.networkId);
    if (!row || !net) throw new ApiError(404, `Subnet ${c.req.param("id")} could not be found.`, "SubnetNotFound");
    if (net.projectId !== c.var.auth.projectId && !c.var.auth.isAdmin) throw new ApiError(403, "You may not delete another project's subnet.", "HTTPForbidden");
    await db.transaction(async (tx) => {
      const used = await tx.select({ owner: ports.deviceOwner }).from(ipAllocations).innerJoin(ports, eq(ports.id, ipAllocations.portId)).where(eq(ipAllocations.subnetId, row.id));
      if (used.some((u) => u.owner !== "network:dhcp")) throw new ApiError(409, `Unable to complete operation on subnet ${row.id}: One or more ports have an IP allocation from this subnet.`, "SubnetInUse");
      await tx.delete(ports).where(and(eq(ports.networkId, net.id), eq(ports.deviceOwner, "network:dhcp")));
      await tx.delete(subnets).where(eq(subnets.id, row.id));
    }, { behavior: "immediate" });
    return c.body(null, 204);
  });

  app.get("/v2.0/ports", reader(), async (c) => {
    const { db } = c.var.deps;
    const rows = c.var.auth.isAdmin ? await db.select().from(ports) : await db.select().from(ports).where(eq(ports.projectId, callerProject(c)));
    const ips = rows.length ? await db.select().from(ipAllocations).where(inArray(ipAllocations.portId, rows.map((p) => p.id))) : [];
    const views = rows.map((p) => portView(p, ips.filter((a) => a.portId === p.id)));
    return c.json({ ports: filterByQuery(views, query(c), ["fields"]).map((v) => selectFields(v, fields(c))) });
  });

  app.get("/v2.0/ports/:id", reader(), async (c) => {
    const { db } = c.var.deps;
    const p = (await db.select().from(ports).where(eq(ports.id, c.req.param("id"))))[0];
    if (!p || (p.projectId !== c.var.auth.projectId && !c.var.auth.isAdmin)) throw new ApiError(404, `Port ${c.req.param("id")} could not be found.`, "PortNotFound");
    const ips = await db.select().from(ipAllocations).where(eq(ipAllocations.portId, p.id));
    return c.json({ port: selectFields(portView(p, ips), fields(c)) });
  });

  app.post("/v2.0/ports", member(), async (c) => {
    const b = z.object({ port: z.object({ network_id: z.string(), name: z.string().default(""), project_id: z.string().optional(), tenant_id: z.string().optional() }) }).parse(await readJson(c)).port;
    const net = await findNetwork(c, b.network_id);
    const { db } = c.var.deps;
    const id = await db.transaction((tx) => createPort(tx, { networkId: net.id, projectId: ownerOf(c, b), name: b.name }), { behavior: "immediate" });
    const p = (await db.select().from(ports).where(eq(ports.id, id)))[0];
    const ips = await db.select().from(ipAllocations).where(eq(ipAllocations.portId, id));
    return c.json({ port: portView(p, ips) }, 201);
  });

  app.delete("/v2.0/ports/:id", member(), async (c) => {
    const { db } = c.var.deps;
    const p = (await db.select().from(ports).where(eq(ports.id, c.req.param("id"))))[0];
    if (!p || (p.projectId !== c.var.auth.projectId && !c.var.auth.isAdmin)) throw new ApiError(404, `Port ${c.req.param("id")} could not be found.`, "PortNotFound");
    if (p.deviceOwner.startsWith("compute:")) throw new ApiError(409, `Port ${p.id} is in use by server ${p.deviceId}; detach it first.`, "PortInUse");
    await db.delete(ports).where(eq(ports.id, p.id));
    return c.body(null, 204);
  });

  return app;
}
