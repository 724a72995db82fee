import { and, eq, isNull } from "drizzle-orm";
import type { Hono } from "hono";
import { servers } from "../db/schema.js";
import { admin } from "../lib/auth.js";
import type { AppEnv } from "../lib/context.js";
import { ApiError } from "../lib/errors.js";
import { computeHosts, versionNumber, type ComputeHost } from "./host-views.js";

const summary = (h: ComputeHost) => ({ id: h.rowId, hypervisor_hostname: h.host.id, state: h.up ? "up" : "down", status: h.host.enabled ? "enabled" : "disabled" });

function detail(h: ComputeHost) {
  const { host } = h;
  return {
    ...summary(h), vcpus: host.vcpus, memory_mb: host.memoryMb, local_gb: host.diskGb,
    vcpus_used: h.usedVcpus, memory_mb_used: h.usedMemoryMb, local_gb_used: h.usedDiskGb,
    free_ram_mb: host.memoryMb - h.usedMemoryMb, free_disk_gb: host.diskGb - h.usedDiskGb, disk_available_least: host.diskGb - h.usedDiskGb,
    current_workload: 0, running_vms: h.service?.runningVms ?? 0,
    hypervisor_type: host.hypervisorType, hypervisor_version: versionNumber(host.version), host_ip: h.service?.hostIp || null,
    cpu_info: JSON.stringify({ arch: h.service?.arch ?? "", topology: { cores: host.vcpus, threads: 1, sockets: 1 } }),
    service: { host: host.id, id: h.rowId, disabled_reason: h.service?.disabledReason ?? null },
  };
}

/** os-hypervisors (admin): list, detail, show, statistics, search, servers, uptime. */
export function registerHypervisorRoutes(app: Hono<AppEnv>) {
  const find = async (db: Parameters<typeof computeHosts>[0], raw: string) => {
    const h = (await computeHosts(db)).find((x) => String(x.rowId) === raw || x.host.id === raw);
    if (!h) throw new ApiError(404, `Hypervisor with ID ${raw} could not be found.`, "itemNotFound");
    return h;
  };
  app.get("/v2.1/os-hypervisors", admin(), async (c) => c.json({ hypervisors: (await computeHosts(c.var.deps.db)).map(summary) }));
  app.get("/v2.1/os-hypervisors/detail", admin(), async (c) => c.json({ hypervisors: (await computeHosts(c.var.deps.db)).map(detail) }));
  app.get("/v2.1/os-hypervisors/statistics", admin(), async (c) => {
    const all = (await computeHosts(c.var.deps.db)).map(detail);
    const sum = (k: "vcpus" | "memory_mb" | "local_gb" | "vcpus_used" | "memory_mb_used" | "local_gb_used" | "free_ram_mb" | "free_disk_gb" | "current_workload" | "running_vms" | "disk_available_least") =>
      all.reduce((n, h) => n + h[k], 0);
    return c.json({
      hypervisor_statistics: {
        count: all.length, vcpus: sum("vcpus"), memory_mb: sum("memory_mb"), local_gb: sum("local_gb"), vcpus_used: sum("vcpus_used"),
        memory_mb_used: sum("memory_mb_used"), local_gb_used: sum("local_gb_used"), free_ram_mb: sum("free_ram_mb"), free_disk_gb: sum("free_disk_gb"),
        current_workload: sum("current_workload"), running_vms: sum("running_vms"), disk_available_least: sum("disk_available_least"),
      },
    });
  });
  app.get("/v2.1/os-hypervisors/:pattern/search", admin(), async (c) => {
    const pattern = c.req.param("pattern");
    const found = (await computeHosts(c.var.deps.db)).filter((h) => h.host.id.includes(pattern));
    if (!found.length) throw new ApiError(404, `No hypervisor matching '${pattern}' could be found.`, "itemNotFound");
    return c.json({ hypervisors: found.map(summary) });
  });
  app.get("/v2.1/os-hypervisors/:pattern/servers", admin(), async (c) => {
    const pattern = c.req.param("pattern");
    const found = (await computeHosts(c.var.deps.db)).filter((h) => h.host.id.includes(pattern));
    if (!found.length) throw new ApiError(404, `No hypervisor matching '${pattern}' could be found.`, "itemNotFound");
    const out = [];
    for (const h of found) {
      const rows = await c.var.deps.db.select({ uuid: servers.id, name: servers.name }).from(servers).where(and(eq(servers.hostId, h.host.id), isNull(servers.deletedAt)));
      out.push({ ...summary(h), ...(rows.length ? { servers: rows } : {}) });
    }
    return c.json({ hypervisors: out });
  });
  app.get("/v2.1/os-hypervisors/:id/uptime", admin(), async (c) => {
    const h = await find(c.var.deps.db, c.req.param("id"));
    const since = h.host.createdAt ? Date.parse(h.host.createdAt) : Date.now();
    const minutes = Math.floor((Date.now() - since) / 60_000);
    const clock = new Date().toISOString().slice(11, 19);
    return c.json({ hypervisor: { ...summary(h), uptime: ` ${clock} up ${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, "0")},  0 users,  load average: 0.00, 0.00, 0.00` } });
  });
  app.get("/v2.1/os-hypervisors/:id", admin(), async (c) => c.json({ hypervisor: detail(await find(c.var.deps.db, c.req.param("id"))) }));
}
