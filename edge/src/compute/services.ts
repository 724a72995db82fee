import { eq } from "drizzle-orm";
import type { Hono } from "hono";
import { z } from "zod";
import type { Db } from "../db/client.js";
import { hostServices, hosts } from "../db/schema.js";
import { admin } from "../lib/auth.js";
import type { AppEnv } from "../lib/context.js";
import { ApiError, readJson } from "../lib/errors.js";
import { computeHosts, type ComputeHost } from "./host-views.js";
import { microversion } from "./microversion.js";

const BINARY = "nova-compute";
const stamp = (s: string | null | undefined) => (s ? s.replace(/Z$/, "").replace(/(\.\d{6})\d*$/, "$1") : null);

/** One service as os-services lists it; `forced_down` appears from 2.11. */
const serviceView = (h: ComputeHost, minor: number) => ({
  id: h.rowId, binary: BINARY, host: h.host.id, zone: h.zone, state: h.up ? "up" : "down", status: h.host.enabled ? "enabled" : "disabled",
  updated_at: stamp(h.host.lastSeenAt), disabled_reason: h.service?.disabledReason ?? null,
  ...(minor >= 11 ? { forced_down: h.service?.forcedDown ?? false } : {}),
});

/** Disables (no new placement there), enables or forces down a host's compute service. */
export async function setService(db: Db, hostId: string, change: { enabled?: boolean; reason?: string | null; forcedDown?: boolean }) {
  const host = (await db.select().from(hosts).where(eq(hosts.id, hostId)))[0];
  if (!host) throw new ApiError(404, `Host '${hostId}' is not mapped to any cell`, "itemNotFound");
  await db.transaction(async (tx) => {
    if (change.enabled !== undefined) await tx.update(hosts).set({ enabled: change.enabled }).where(eq(hosts.id, hostId));
    const svc: Partial<typeof hostServices.$inferInsert> = {
      ...(change.enabled !== undefined ? { disabledReason: change.enabled ? null : change.reason ?? null } : {}),
      ...(change.forcedDown !== undefined ? { forcedDown: change.forcedDown } : {}),
    };
    if (Object.keys(svc).length) await tx.insert(hostServices).values({ hostId, ...svc }).onConflictDoUpdate({ target: hostServices.hostId, set: svc });
  });
}

const hostBinary = z.object({ host: z.string().min(1), binary: z.string().min(1) });
const reasonBody = hostBinary.extend({ disabled_reason: z.string().min(1).max(255) });
const forceDownBody = hostBinary.extend({ forced_down: z.boolean() });
const updateBody = z.object({ status: z.enum(["enabled", "disabled"]).optional(), disabled_reason: z.string().min(1).max(255).optional(), forced_down: z.boolean().optional() }).strict();

function checkBinary(binary: string, host: string) {
  if (binary !== BINARY) throw new ApiError(404, `Compute host ${host} could not be found.`, "itemNotFound");
}

/** os-services (admin): list with host/binary filters; enable, disable (with reason), force-down. */
export function registerServiceRoutes(app: Hono<AppEnv>) {
  app.get("/v2.1/os-services", admin(), async (c) => {
    const host = c.req.query("host");
    const binary = c.req.query("binary");
    const minor = microversion(c);
    const all = (await computeHosts(c.var.deps.db)).map((h) => serviceView(h, minor));
    return c.json({ services: all.filter((s) => (!host || s.host === host) && (!binary || s.binary === binary)) });
  });

  const answer = async (db: Db, host: string, extra: Record<string, unknown> = {}) => {
    const h = (await computeHosts(db)).find((x) => x.host.id === host)!;
    return { service: { host, binary: BINARY, status: h.host.enabled ? "enabled" : "disabled", ...extra } };
  };
  app.put("/v2.1/os-services/enable", admin(), async (c) => {
    const b = hostBinary.parse(await readJson(c));
    checkBinary(b.binary, b.host);
    await setService(c.var.deps.db, b.host, { enabled: true });
    return c.json(await answer(c.var.deps.db, b.host));
  });
  app.put("/v2.1/os-services/disable", admin(), async (c) => {
    const b = hostBinary.parse(await readJson(c));
    checkBinary(b.binary, b.host);
    await setService(c.var.deps.db, b.host, { enabled: false });
    return c.json(await answer(c.var.deps.db, b.host));
  });
  app.put("/v2.1/os-services/disable-log-reason", admin(), async (c) => {
    const b = reasonBody.parse(await readJson(c));
    checkBinary(b.binary, b.host);
    await setService(c.var.deps.db, b.host, { enabled: false, reason: b.disabled_reason });
    return c.json(await answer(c.var.deps.db, b.host, { disabled_reason: b.disabled_reason }));
  });
  app.put("/v2.1/os-services/force-down", admin(), async (c) => {
    if (microversion(c) < 11) throw new ApiError(404, "Unknown action", "itemNotFound");
    const b = forceDownBody.parse(await readJson(c));
    checkBinary(b.binary, b.host);
    await setService(c.var.deps.db, b.host, { forcedDown: b.forced_down });
    return c.json({ service: { host: b.host, binary: BINARY, forced_down: b.forced_down } });
  });
  /** 2.53 form: the service addressed by id (the host's id or its integer id). */
  app.put("/v2.1/os-services/:id", admin(), async (c) => {
    const { db } = c.var.deps;
    const raw = c.req.param("id");
    const h = (await computeHosts(db)).find((x) => x.host.id === raw || String(x.rowId) === raw);
    if (!h) throw new ApiError(404, `Service ${raw} could not be found.`, "itemNotFound");
    const u = updateBody.parse(await readJson(c));
    if (u.disabled_reason && u.status !== "disabled") throw new ApiError(400, "Specifying 'disabled_reason' with status 'enabled' is invalid.", "badRequest");
    await setService(db, h.host.id, { ...(u.status ? { enabled: u.status === "enabled", reason: u.disabled_reason } : {}), ...(u.forced_down !== undefined ? { forcedDown: u.forced_down } : {}) });
    const now = (await computeHosts(db)).find((x) => x.host.id === h.host.id)!;
    return c.json({ service: serviceView(now, Math.max(microversion(c), 11)) });
  });
}
