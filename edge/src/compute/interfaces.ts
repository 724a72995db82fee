import { and, eq, inArray } from "drizzle-orm";
import type { Context, Hono } from "hono";
import { z } from "zod";
import { ipAllocations, networks, ports } from "../db/schema.js";
import { member, reader } from "../lib/auth.js";
import type { AppEnv } from "../lib/context.js";
import { ApiError, readJson } from "../lib/errors.js";
import { syncFirewalls } from "../network/firewall-sync.js";
import { claimablePort, plugNics, unplugServerPorts, type Nic } from "../network/nova-ports.js";
import { portSpecs } from "../network/ports.js";
import { findServer } from "./servers.js";

const attachBody = z.object({
  interfaceAttachment: z.object({
    port_id: z.string().optional(),
    net_id: z.string().optional(),
    fixed_ips: z.array(z.object({ ip_address: z.string() })).max(1).optional(),
  }),
});

type PortRow = typeof ports.$inferSelect;
type AllocRow = typeof ipAllocations.$inferSelect;

const view = (p: PortRow, ips: AllocRow[]) => ({
  port_state: p.status === "DOWN" ? "DOWN" : "ACTIVE", port_id: p.id, net_id: p.networkId, mac_addr: p.macAddress,
  fixed_ips: ips.map((a) => ({ subnet_id: a.subnetId, ip_address: a.ipAddress })),
});

/** A server that can take a hotplug: on a host, ACTIVE or SHUTOFF, no task running. */
async function pluggable(c: Context<AppEnv>, id: string, action: string) {
  const s = await findServer(c.var.deps.db, c.var.auth, id);
  if (!s.hostId || !["active", "stopped"].includes(s.vmState) || s.taskState) {
    throw new ApiError(409, `Cannot '${action}' instance ${s.id} while it is in vm_state ${s.vmState}`, "conflict");
  }
  return s;
}

/** Nova's os-interface: list, show, attach (network or port) and detach a server's ports. */
export function registerInterfaceRoutes(app: Hono<AppEnv>) {
  app.get("/v2.1/servers/:id/os-interface", reader(), async (c) => {
    const s = await findServer(c.var.deps.db, c.var.auth, c.req.param("id"));
    const rows = await c.var.deps.db.select().from(ports).where(eq(ports.deviceId, s.id));
    const ips = rows.length ? await c.var.deps.db.select().from(ipAllocations).where(inArray(ipAllocations.portId, rows.map((p) => p.id))) : [];
    return c.json({ interfaceAttachments: rows.map((p) => view(p, ips.filter((a) => a.portId === p.id))) });
  });

  app.get("/v2.1/servers/:id/os-interface/:portId", reader(), async (c) => {
    const s = await findServer(c.var.deps.db, c.var.auth, c.req.param("id"));
    const p = (await c.var.deps.db.select().from(ports).where(and(eq(ports.id, c.req.param("portId")), eq(ports.deviceId, s.id))))[0];
    if (!p) throw new ApiError(404, `Port ${c.req.param("portId")} is not attached`, "itemNotFound");
    return c.json({ interfaceAttachment: view(p, await c.var.deps.db.select().from(ipAllocations).where(eq(ipAllocations.portId, p.id))) });
  });

  app.post("/v2.1/servers/:id/os-interface", member(), async (c) => {
    const s = await pluggable(c, c.req.param("id"), "attach_interface");
    const { interfaceAttachment: b } = attachBody.parse(await readJson(c));
    const { db, bus } = c.var.deps;
    let nic: Nic;
    if (b.port_id) nic = { portId: (await claimablePort(db, c.var.auth, b.port_id)).id };
    else {
      const net = b.net_id && (await db.select().from(networks).where(eq(networks.id, b.net_id)))[0];
      if (!net || (!net.shared && !net.external && net.projectId !== s.projectId)) throw new ApiError(404, `Network ${b.net_id ?? ""} could not be found.`, "itemNotFound");
      nic = { networkId: net.id, fixedIp: b.fixed_ips?.[0]?.ip_address };
    }
    const before = new Set((await db.select({ id: ports.id }).from(ports).where(eq(ports.deviceId, s.id))).map((r) => r.id));
    await db.transaction((tx) => plugNics(tx, { serverId: s.id, projectId: s.projectId, hostId: s.hostId!, nics: [nic] }), { behavior: "immediate" });
    const added = (await db.select().from(ports).where(eq(ports.deviceId, s.id))).find((p) => !before.has(p.id))!;
    await syncFirewalls(db, bus, [s.hostId!]);
    const [spec] = await portSpecs(db, [added.id]);
    if (spec) await bus.cast(s.hostId!, "server.interface-attach", { serverId: s.id, port: spec });
    return c.json({ interfaceAttachment: view(added, await db.select().from(ipAllocations).where(eq(ipAllocations.portId, added.id))) });
  });

  app.delete("/v2.1/servers/:id/os-interface/:portId", member(), async (c) => {
    const s = await pluggable(c, c.req.param("id"), "detach_interface");
    const { db, bus } = c.var.deps;
    const portId = c.req.param("portId");
    const p = (await db.select().from(ports).where(and(eq(ports.id, portId), eq(ports.deviceId, s.id))))[0];
    if (!p) throw new ApiError(404, `Port ${portId} is not attached`, "itemNotFound");
    const [spec] = await portSpecs(db, [p.id]);
    if (spec) await bus.cast(s.hostId!, "server.interface-detach", { serverId: s.id, port: spec });
    await unplugServerPorts(db, s.id, [p.id]);
    await syncFirewalls(db, bus, [s.hostId!]);
    return c.body(null, 202);
  });
}
