import { and, eq, inArray, ne, notInArray, or } from "drizzle-orm";
import type { Hono } from "hono";
import { z } from "zod";
import { floatingIps, networkSegments, networks, ports, subnets } from "../db/schema.js";
import { callerProject, member, reader } from "../lib/auth.js";
import type { AppEnv } from "../lib/context.js";
import { ApiError, readJson } from "../lib/errors.js";
import { selectFields } from "../lib/filters.js";
import { adminOnly, bodies, type Ctx, notFoundOf, nowIso, ownerOf, requireOwner } from "./common.js";
import { listResponse } from "./list.js";
import { enforceQuota } from "./quota-store.js";
import { ensureSegment } from "./overlay-sync.js";
import { defaultMtu, maxMtu } from "./overlay-plan.js";
import { networkView } from "./views.js";

const attrs = {
  name: z.string().max(255),
  admin_state_up: z.boolean(),
  shared: z.boolean(),
  "router:external": z.boolean(),
  mtu: z.number().int().min(68).max(9000),
  description: z.string().max(255),
  port_security_enabled: z.boolean(),
};
const createBody = z.object({ ...attrs, project_id: z.string().optional(), tenant_id: z.string().optional() }).partial().strict();
const updateBody = z.object({ network: z.object(attrs).partial().strict() });
const ADMIN_ATTRS = ["shared", "router:external"];
const checkMtu = (mtu: number | undefined, external: boolean) => {
  if (mtu !== undefined && mtu > maxMtu(external)) throw new ApiError(400, `Invalid input for operation: Requested MTU is too big, maximum is ${maxMtu(external)}.`, "InvalidInput");
};
const networkInUse = (id: string) => new ApiError(409, `Unable to complete operation on network ${id}. There are one or more ports still in use on the network.`, "NetworkInUse");

/** Networks the caller may see: its own, shared and external ones (admins see all). */
export async function visibleNetworks(c: Ctx) {
  const { db } = c.var.deps;
  if (c.var.auth.isAdmin) return db.select().from(networks);
  const pid = callerProject(c);
  return db.select().from(networks).where(or(eq(networks.projectId, pid), eq(networks.shared, true), eq(networks.external, true)));
}

export async function findNetwork(c: Ctx, id: string) {
  const n = (await visibleNetworks(c)).find((x) => x.id === id);
  if (!n) throw notFoundOf("Network", id);
  return n;
}

async function subnetIds(c: Ctx, networkIds: string[]) {
  if (networkIds.length === 0) return new Map<string, string[]>();
  const rows = await c.var.deps.db.select({ id: subnets.id, networkId: subnets.networkId }).from(subnets).where(inArray(subnets.networkId, networkIds));
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.networkId, [...(out.get(r.networkId) ?? []), r.id]);
  return out;
}

async function viewOf(c: Ctx, id: string) {
  const n = (await c.var.deps.db.select().from(networks).where(eq(networks.id, id)))[0];
  return networkView(n, (await subnetIds(c, [id])).get(id) ?? []);
}

/** Neutron networks: list, show, create (single and bulk), update, delete. */
export function networkRoutes(app: Hono<AppEnv>) {
  app.get("/v2.0/networks", reader(), async (c) => {
    const rows = await visibleNetworks(c);
    const subs = await subnetIds(c, rows.map((r) => r.id));
    return c.json(listResponse(c, "networks", rows.map((n) => networkView(n, subs.get(n.id) ?? []))));
  });

  app.get("/v2.0/networks/:id", reader(), async (c) => {
    const n = await findNetwork(c, c.req.param("id"));
    return c.json({ network: selectFields(await viewOf(c, n.id), c.req.queries("fields")) });
  });

  app.post("/v2.0/networks", member(), async (c) => {
    const { items, bulk } = bodies(await readJson(c), "network", "networks");
    const parsed = items.map((i) => createBody.parse(i));
    for (const b of parsed) {
      adminOnly(c, b, ADMIN_ATTRS);
      checkMtu(b.mtu, b["router:external"] ?? false);
    }
    const { db } = c.var.deps;
    const ids = await db.transaction(async (tx) => {
      const out: string[] = [];
      for (const b of parsed) {
        const projectId = ownerOf(c, b);
        await enforceQuota(tx, projectId, "network");
        const id = crypto.randomUUID();
        await tx.insert(networks).values({
          id, projectId, name: b.name ?? "", shared: b.shared ?? false, external: b["router:external"] ?? false,
          adminStateUp: b.admin_state_up ?? true, mtu: b.mtu ?? defaultMtu(b["router:external"] ?? false), description: b.description ?? "", portSecurityEnabled: b.port_security_enabled ?? true,
        });
        await ensureSegment(tx, id);
        out.push(id);
      }
      return out;
    }, { behavior: "immediate" });
    const views = await Promise.all(ids.map((id) => viewOf(c, id)));
    return c.json(bulk ? { networks: views } : { network: views[0] }, 201);
  });

  app.put("/v2.0/networks/:id", member(), async (c) => {
    const n = await findNetwork(c, c.req.param("id"));
    requireOwner(c, n, "network");
    const { network: b } = updateBody.parse(await readJson(c));
    adminOnly(c, b, ADMIN_ATTRS);
    checkMtu(b.mtu, b["router:external"] ?? n.external);
    if (b.shared === false && n.shared) {
      const foreign = await c.var.deps.db.select({ id: ports.id }).from(ports).where(and(eq(ports.networkId, n.id), ne(ports.projectId, n.projectId), ne(ports.projectId, ""))).limit(1);
      if (foreign.length) throw new ApiError(409, `Unable to reconfigure sharing settings for network ${n.id}. Multiple tenants are using it.`, "InvalidSharedSetting");
    }
    await c.var.deps.db.update(networks).set({
      name: b.name, adminStateUp: b.admin_state_up, shared: b.shared, external: b["router:external"], mtu: b.mtu,
      description: b.description, portSecurityEnabled: b.port_security_enabled, updatedAt: nowIso(),
    }).where(eq(networks.id, n.id));
    return c.json({ network: await viewOf(c, n.id) });
  });

  app.delete("/v2.0/networks/:id", member(), async (c) => {
    const n = await findNetwork(c, c.req.param("id"));
    requireOwner(c, n, "network");
    await c.var.deps.db.transaction(async (tx) => {
      // Unassociated floating IPs go with their external network; DHCP ports are the network's own.
      const fips = await tx.select().from(floatingIps).where(eq(floatingIps.floatingNetworkId, n.id));
      if (fips.some((f) => f.portId)) throw networkInUse(n.id);
      if (fips.length) await tx.delete(floatingIps).where(eq(floatingIps.floatingNetworkId, n.id));
      const inUse = await tx.select({ id: ports.id }).from(ports).where(and(eq(ports.networkId, n.id), notInArray(ports.deviceOwner, ["network:dhcp", "network:floatingip"]))).limit(1);
      if (inUse.length) throw networkInUse(n.id);
      await tx.delete(ports).where(eq(ports.networkId, n.id));
      await tx.delete(networks).where(eq(networks.id, n.id));
      await tx.delete(networkSegments).where(eq(networkSegments.networkId, n.id));
    }, { behavior: "immediate" });
    return c.body(null, 204);
  });
}
