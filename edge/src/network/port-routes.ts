import { and, eq, inArray } from "drizzle-orm";
import type { Hono } from "hono";
import ipaddr from "ipaddr.js";
import { z } from "zod";
import type { DbOrTx } from "../db/client.js";
import { floatingIps, ipAllocations, ports, securityGroups } from "../db/schema.js";
import { callerProject, member, reader } from "../lib/auth.js";
import type { AppEnv } from "../lib/context.js";
import { ApiError, readJson } from "../lib/errors.js";
import { selectFields } from "../lib/filters.js";
import { adminOnly, bodies, type Ctx, notFoundOf, nowIso, ownerOf, owns } from "./common.js";
import { listResponse } from "./list.js";
import { findNetwork } from "./networks.js";
import { allocateIps, createPort, type FixedIpRequest } from "./ports.js";
import { enforceQuota } from "./quota-store.js";
import { portView } from "./views.js";

const mac = z.string().regex(/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/, "not a valid MAC address").transform((m) => m.toLowerCase());
const fixedIp = z.object({ subnet_id: z.string().optional(), ip_address: z.string().optional() }).strict();
const pair = z.object({ ip_address: z.string(), mac_address: mac.optional() }).strict();
const mutable = {
  name: z.string().max(255),
  admin_state_up: z.boolean(),
  fixed_ips: z.array(fixedIp),
  device_id: z.string().max(255),
  device_owner: z.string().max(255),
  security_groups: z.array(z.string()).nullable(),
  port_security_enabled: z.boolean(),
  allowed_address_pairs: z.array(pair).nullable(),
  "binding:host_id": z.string(),
  "binding:vnic_type": z.literal("normal"),
  "binding:profile": z.record(z.string(), z.unknown()),
  description: z.string().max(255),
  mac_address: mac,
};
const createBody = z.object({ ...mutable, network_id: z.string(), project_id: z.string(), tenant_id: z.string() }).partial().required({ network_id: true }).strict();
const updateBody = z.object({ port: z.object(mutable).partial().strict() });
const ADMIN_ATTRS = ["binding:host_id", "binding:profile"];

const toRequests = (ips: Array<z.infer<typeof fixedIp>> | undefined): FixedIpRequest[] | undefined =>
  ips?.map((f) => ({ subnetId: f.subnet_id, ipAddress: f.ip_address }));

function checkPairs(pairs: Array<z.infer<typeof pair>>) {
  for (const p of pairs) {
    const ok = p.ip_address.includes("/") ? ipaddr.isValidCIDR(p.ip_address) : ipaddr.isValid(p.ip_address);
    if (!ok) throw new ApiError(400, `Invalid input for allowed_address_pairs: '${p.ip_address}' is not a valid IP address.`, "InvalidInput");
  }
  const keys = pairs.map((p) => `${p.ip_address}|${p.mac_address ?? ""}`);
  if (new Set(keys).size !== keys.length) throw new ApiError(400, "Request contains duplicate address pair.", "InvalidInput");
}

/** Security groups a port of `projectId` may use: they must exist in that project. */
async function checkGroups(db: DbOrTx, projectId: string, ids: string[]) {
  if (ids.length === 0) return;
  const found = await db.select({ id: securityGroups.id }).from(securityGroups).where(and(inArray(securityGroups.id, ids), eq(securityGroups.projectId, projectId)));
  const missing = ids.find((id) => !found.some((f) => f.id === id));
  if (missing) throw notFoundOf("Security group", missing);
}

function checkPortSecurity(enabled: boolean, groups: string[] | undefined | null, pairs: unknown[] | undefined | null) {
  if (enabled) return;
  if (groups && groups.length) throw new ApiError(409, "Port security must be enabled and port must have an IP address in order to use security groups.", "PortSecurityAndIPRequiredForSecurityGroups");
  if (pairs && pairs.length) throw new ApiError(409, "Port Security must be enabled in order to have allowed address pairs on a port.", "AddressPairAndPortSecurityRequired");
}

export async function findPort(c: Ctx, id: string) {
  const p = (await c.var.deps.db.select().from(ports).where(eq(ports.id, id)))[0];
  if (!p || !owns(c, p)) throw notFoundOf("Port", id);
  return p;
}

export async function portViews(db: DbOrTx, rows: Array<typeof ports.$inferSelect>) {
  const ips = rows.length ? await db.select().from(ipAllocations).where(inArray(ipAllocations.portId, rows.map((p) => p.id))) : [];
  return rows.map((p) => portView(p, ips.filter((a) => a.portId === p.id)));
}

const viewOf = async (db: DbOrTx, id: string) => (await portViews(db, await db.select().from(ports).where(eq(ports.id, id))))[0];

/** Neutron ports with fixed IPs, security groups, port security, address pairs and binding. */
export function portRoutes(app: Hono<AppEnv>) {
  app.get("/v2.0/ports", reader(), async (c) => {
    const { db } = c.var.deps;
    const rows = c.var.auth.isAdmin ? await db.select().from(ports) : await db.select().from(ports).where(eq(ports.projectId, callerProject(c)));
    const views = await portViews(db, rows);
    const wantedIps = c.req.queries("fixed_ips");
    const filtered = wantedIps ? views.filter((v) => wantedIps.every((w) => matchesFixedIp(v.fixed_ips, w))) : views;
    return c.json(listResponse(c, "ports", filtered));
  });

  app.get("/v2.0/ports/:id", reader(), async (c) => {
    const p = await findPort(c, c.req.param("id"));
    return c.json({ port: selectFields(await viewOf(c.var.deps.db, p.id), c.req.queries("fields")) });
  });

  app.post("/v2.0/ports", member(), async (c) => {
    const { items, bulk } = bodies(await readJson(c), "port", "ports");
    const parsed = items.map((i) => createBody.parse(i));
    const { db } = c.var.deps;
    const ids = await db.transaction(async (tx) => {
      const out: string[] = [];
      for (const b of parsed) {
        adminOnly(c, b, ADMIN_ATTRS);
        const net = await findNetwork(c, b.network_id);
        const projectId = ownerOf(c, b);
        if (!owns(c, net) && !net.shared) throw new ApiError(403, `Policy does not allow creating a port on network ${net.id}.`, "HTTPForbidden");
        const security = b.port_security_enabled ?? net.portSecurityEnabled;
        checkPortSecurity(security, b.security_groups, b.allowed_address_pairs);
        if (b.security_groups) await checkGroups(tx, projectId, b.security_groups);
        if (b.allowed_address_pairs) checkPairs(b.allowed_address_pairs);
        await enforceQuota(tx, projectId, "port");
        out.push(await createPort(tx, {
          networkId: net.id, projectId, name: b.name, mac: b.mac_address, fixedIps: toRequests(b.fixed_ips), deviceId: b.device_id, deviceOwner: b.device_owner,
          securityGroupIds: b.security_groups ?? undefined, portSecurityEnabled: security, hostId: b["binding:host_id"] || null, adminStateUp: b.admin_state_up,
          description: b.description, preexisting: true,
          allowedAddressPairs: b.allowed_address_pairs?.map((p) => ({ ip_address: p.ip_address, mac_address: p.mac_address ?? "" })),
        }));
      }
      return out;
    }, { behavior: "immediate" });
    const views = await Promise.all(ids.map((id) => fillPairMacs(db, id)));
    return c.json(bulk ? { ports: views } : { port: views[0] }, 201);
  });

  app.put("/v2.0/ports/:id", member(), async (c) => {
    const p = await findPort(c, c.req.param("id"));
    const { port: b } = updateBody.parse(await readJson(c));
    adminOnly(c, b, [...ADMIN_ATTRS, "mac_address"]);
    const security = b.port_security_enabled ?? p.portSecurityEnabled;
    const groups = b.security_groups === undefined ? p.securityGroupIds : b.security_groups ?? [];
    const pairs = b.allowed_address_pairs === undefined ? p.allowedAddressPairs : b.allowed_address_pairs ?? [];
    // Turning port security off clears the groups unless the request sets them (Neutron requires that explicitly).
    checkPortSecurity(security, b.port_security_enabled === false && b.security_groups === undefined ? [] : groups, pairs);
    if (b.allowed_address_pairs) checkPairs(b.allowed_address_pairs);
    const { db } = c.var.deps;
    await db.transaction(async (tx) => {
      if (b.security_groups) await checkGroups(tx, p.projectId, b.security_groups);
      if (b.fixed_ips) {
        await tx.delete(ipAllocations).where(eq(ipAllocations.portId, p.id));
        await allocateIps(tx, p.networkId, p.id, toRequests(b.fixed_ips), p.deviceOwner === "network:router_interface");
      }
      await tx.update(ports).set({
        name: b.name, adminStateUp: b.admin_state_up, deviceId: b.device_id, deviceOwner: b.device_owner, description: b.description,
        securityGroupIds: security ? groups : [], portSecurityEnabled: security, macAddress: b.mac_address,
        allowedAddressPairs: b.allowed_address_pairs === undefined ? undefined : (b.allowed_address_pairs ?? []).map((x) => ({ ip_address: x.ip_address, mac_address: x.mac_address ?? "" })),
        hostId: b["binding:host_id"] === undefined ? undefined : b["binding:host_id"] || null, updatedAt: nowIso(),
      }).where(eq(ports.id, p.id));
    }, { behavior: "immediate" });
    return c.json({ port: await fillPairMacs(db, p.id) });
  });

  app.delete("/v2.0/ports/:id", member(), async (c) => {
    const p = await findPort(c, c.req.param("id"));
    if (p.deviceOwner === "network:router_interface" || p.deviceOwner === "network:router_gateway" || p.deviceOwner === "network:floatingip") {
      throw new ApiError(409, `Port ${p.id} cannot be deleted directly via the port API: has device owner ${p.deviceOwner}.`, "L3PortInUse");
    }
    await c.var.deps.db.transaction(async (tx) => {
      await tx.update(floatingIps).set({ portId: null, fixedIpAddress: null, routerId: null, updatedAt: nowIso() }).where(eq(floatingIps.portId, p.id));
      await tx.delete(ports).where(eq(ports.id, p.id));
    }, { behavior: "immediate" });
    return c.body(null, 204);
  });
}

/** Address pairs without a MAC take the port's own (Neutron fills it in on write). */
async function fillPairMacs(db: DbOrTx, id: string) {
  const p = (await db.select().from(ports).where(eq(ports.id, id)))[0];
  if (p.allowedAddressPairs.some((x) => !x.mac_address)) {
    await db.update(ports).set({ allowedAddressPairs: p.allowedAddressPairs.map((x) => ({ ...x, mac_address: x.mac_address || p.macAddress })) }).where(eq(ports.id, id));
  }
  return viewOf(db, id);
}

/** `fixed_ips=ip_address=X` / `fixed_ips=subnet_id=Y` list filters. */
function matchesFixedIp(ips: Array<{ subnet_id: string; ip_address: string }>, filter: string) {
  const [k, v] = filter.split("=", 2);
  return ips.some((i) => (k === "ip_address" ? i.ip_address === v : k === "subnet_id" ? i.subnet_id === v : true));
}
