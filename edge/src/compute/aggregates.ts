import { and, eq } from "drizzle-orm";
import type { Hono } from "hono";
import { z } from "zod";
import type { DbOrTx } from "../db/client.js";
import { aggregateHosts, aggregates, hosts } from "../db/schema.js";
import { admin, reader } from "../lib/auth.js";
import type { AppEnv } from "../lib/context.js";
import { ApiError, readJson } from "../lib/errors.js";
import { aggregatesByHost, zoneOf } from "./host-facts.js";
import { DEFAULT_ZONE } from "./host-filters.js";
import { isHostUp, defaultSchedulerOptions } from "./scheduler.js";

type AggregateRow = (typeof aggregates)["$inferSelect"];
const bad = (m: string) => new ApiError(400, m, "badRequest");
const stamp = (s: string | null) => (s ? s.replace(/Z$/, "").replace(/(\.\d{6})\d*$/, "$1") : null);

const name = z.string().min(1).max(255).refine((s) => s.trim() === s, "name has leading or trailing whitespace");
const zone = z.union([z.string().min(1).max(255), z.null()]);
const createBody = z.object({ aggregate: z.object({ name, availability_zone: zone.optional() }).strict() });
const updateBody = z.object({ aggregate: z.object({ name: name.optional(), availability_zone: zone.optional() }).strict().refine((a) => Object.keys(a).length > 0, "nothing to update") });
const actionBody = z.union([
  z.object({ add_host: z.object({ host: z.string().min(1) }).strict() }).strict(),
  z.object({ remove_host: z.object({ host: z.string().min(1) }).strict() }).strict(),
  z.object({ set_metadata: z.object({ metadata: z.record(z.string().min(1).max(255), z.union([z.string().max(255), z.null()])) }).strict() }).strict(),
]);

function view(a: AggregateRow, hostIds: string[], full = true) {
  const core = {
    id: a.id, name: a.name, availability_zone: a.metadata.availability_zone ?? null,
    created_at: stamp(a.createdAt)!, updated_at: a.updatedAt === a.createdAt ? null : stamp(a.updatedAt), deleted_at: null, deleted: false,
  };
  return full ? { ...core, hosts: hostIds, metadata: a.metadata } : core;
}

async function hostsOf(db: DbOrTx, id: number) {
  return (await db.select().from(aggregateHosts).where(eq(aggregateHosts.aggregateId, id))).map((r) => r.hostId);
}

async function findAggregate(db: DbOrTx, raw: string): Promise<AggregateRow> {
  const id = Number(raw);
  const row = Number.isInteger(id) ? (await db.select().from(aggregates).where(eq(aggregates.id, id)))[0] : undefined;
  if (!row) throw new ApiError(404, `Aggregate ${raw} could not be found.`, "itemNotFound");
  return row;
}

/**
 * A host sits in one zone: an aggregate's zone may not change (or a host join) when one of its
 * hosts already belongs to an aggregate of another zone.
 */
async function checkZoneConflict(db: DbOrTx, hostIds: string[], zoneName: string | undefined, exceptAggregate: number) {
  if (!zoneName) return;
  const byHost = await aggregatesByHost(db);
  for (const h of hostIds) {
    const others = (byHost.get(h) ?? []).filter((a) => a.id !== exceptAggregate && a.metadata.availability_zone);
    if (others.some((a) => a.metadata.availability_zone !== zoneName)) throw bad(`Cannot add host ${h} to aggregate ${exceptAggregate}: host is in another availability zone.`);
  }
}

async function nameTaken(db: DbOrTx, n: string, except?: number) {
  const row = (await db.select().from(aggregates).where(eq(aggregates.name, n)))[0];
  if (row && row.id !== except) throw new ApiError(409, `Aggregate ${n} already exists.`, "conflictingRequest");
}

/** os-aggregates (admin) and os-availability-zone. */
export function registerAggregateRoutes(app: Hono<AppEnv>) {
  app.get("/v2.1/os-aggregates", admin(), async (c) => {
    const { db } = c.var.deps;
    const [rows, links] = await Promise.all([db.select().from(aggregates), db.select().from(aggregateHosts)]);
    return c.json({ aggregates: rows.map((a) => view(a, links.filter((l) => l.aggregateId === a.id).map((l) => l.hostId))) });
  });

  app.post("/v2.1/os-aggregates", admin(), async (c) => {
    const { aggregate: a } = createBody.parse(await readJson(c));
    const { db } = c.var.deps;
    await nameTaken(db, a.name);
    const metadata: Record<string, string> = a.availability_zone ? { availability_zone: a.availability_zone } : {};
    const [row] = await db.insert(aggregates).values({ uuid: crypto.randomUUID(), name: a.name, metadata }).returning();
    return c.json({ aggregate: view(row, [], false) });
  });

  app.get("/v2.1/os-aggregates/:id", admin(), async (c) => {
    const a = await findAggregate(c.var.deps.db, c.req.param("id"));
    return c.json({ aggregate: view(a, await hostsOf(c.var.deps.db, a.id)) });
  });

  app.put("/v2.1/os-aggregates/:id", admin(), async (c) => {
    const { db } = c.var.deps;
    const a = await findAggregate(db, c.req.param("id"));
    const { aggregate: u } = updateBody.parse(await readJson(c));
    if (u.name) await nameTaken(db, u.name, a.id);
    const members = await hostsOf(db, a.id);
    const metadata = { ...a.metadata };
    if (u.availability_zone !== undefined) {
      await checkZoneConflict(db, members, u.availability_zone ?? undefined, a.id);
      if (u.availability_zone === null) delete metadata.availability_zone;
      else metadata.availability_zone = u.availability_zone;
    }
    const [row] = await db.update(aggregates).set({ name: u.name ?? a.name, metadata, updatedAt: new Date().toISOString() }).where(eq(aggregates.id, a.id)).returning();
    return c.json({ aggregate: view(row, members) });
  });

  app.delete("/v2.1/os-aggregates/:id", admin(), async (c) => {
    const { db } = c.var.deps;
    const a = await findAggregate(db, c.req.param("id"));
    if ((await hostsOf(db, a.id)).length) throw bad(`Aggregate ${a.id} has hosts; remove them before deleting it.`);
    await db.delete(aggregates).where(eq(aggregates.id, a.id));
    return c.body(null, 200);
  });

  app.post("/v2.1/os-aggregates/:id/action", admin(), async (c) => {
    const { db } = c.var.deps;
    const a = await findAggregate(db, c.req.param("id"));
    const body = actionBody.parse(await readJson(c));
    let metadata = a.metadata;
    if ("add_host" in body) {
      const host = body.add_host.host;
      if (!(await db.select().from(hosts).where(eq(hosts.id, host)))[0]) throw new ApiError(404, `Compute host ${host} could not be found.`, "itemNotFound");
      await checkZoneConflict(db, [host], a.metadata.availability_zone, a.id);
      const added = await db.insert(aggregateHosts).values({ aggregateId: a.id, hostId: host }).onConflictDoNothing().returning();
      if (!added.length) throw new ApiError(409, `Aggregate ${a.id} already has host ${host}.`, "conflictingRequest");
    } else if ("remove_host" in body) {
      const host = body.remove_host.host;
      const gone = await db.delete(aggregateHosts).where(and(eq(aggregateHosts.aggregateId, a.id), eq(aggregateHosts.hostId, host))).returning();
      if (!gone.length) throw new ApiError(404, `Cannot remove host ${host} in aggregate ${a.id}`, "itemNotFound");
    } else {
      const changes = body.set_metadata.metadata;
      if ("availability_zone" in changes) await checkZoneConflict(db, await hostsOf(db, a.id), changes.availability_zone ?? undefined, a.id);
      metadata = { ...a.metadata };
      for (const [k, v] of Object.entries(changes)) {
        if (v === null) delete metadata[k];
        else metadata[k] = v;
      }
    }
    const [row] = await db.update(aggregates).set({ metadata, updatedAt: new Date().toISOString() }).where(eq(aggregates.id, a.id)).returning();
    return c.json({ aggregate: view(row, await hostsOf(db, a.id)) });
  });

  const zoneInfo = async (db: DbOrTx, detail: boolean) => {
    const [rows, byHost] = await Promise.all([db.select().from(hosts), aggregatesByHost(db)]);
    const opts = defaultSchedulerOptions();
    const zones = new Map<string, Record<string, unknown>>();
    for (const h of rows) {
      const z = zoneOf(byHost.get(h.id) ?? []);
      const entry = zones.get(z) ?? {};
      entry[h.id] = { "nova-compute": { available: h.enabled && isHostUp(h, opts), active: h.enabled, updated_at: h.lastSeenAt } };
      zones.set(z, entry);
    }
    if (!zones.size) zones.set(DEFAULT_ZONE, {});
    return [...zones].map(([zoneName, hostMap]) => ({
      zoneName,
      zoneState: { available: Object.values(hostMap).some((v) => (v as { "nova-compute": { available: boolean } })["nova-compute"].available) },
      hosts: detail ? hostMap : null,
    }));
  };
  app.get("/v2.1/os-availability-zone", reader(), async (c) => c.json({ availabilityZoneInfo: await zoneInfo(c.var.deps.db, false) }));
  app.get("/v2.1/os-availability-zone/detail", admin(), async (c) => c.json({ availabilityZoneInfo: await zoneInfo(c.var.deps.db, true) }));
}
