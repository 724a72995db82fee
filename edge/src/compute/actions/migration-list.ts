import { and, desc, eq, sql, type SQL } from "drizzle-orm";
import type { Hono } from "hono";
import { flavors, hosts, serverMigrations } from "../../db/schema.js";
import { admin } from "../../lib/auth.js";
import type { AppEnv } from "../../lib/context.js";
import { microversion } from "../microversion.js";
import { stamp } from "./instance-actions.js";

type MigrationRow = (typeof serverMigrations)["$inferSelect"];

/** Nova's view of a migration: integer ids (the rows' rowids), hosts as compute services; type and links from 2.23. */
export function migrationView(m: MigrationRow & { n: number }, flavorNumber: (id: string) => number | null, hostname: (id: string) => string, mv: number) {
  const view = {
    id: m.n, status: m.status, instance_uuid: m.serverId,
    source_compute: m.sourceHostId, source_node: hostname(m.sourceHostId), dest_compute: m.destHostId, dest_node: hostname(m.destHostId), dest_host: null,
    old_instance_type_id: flavorNumber(m.oldFlavorId), new_instance_type_id: flavorNumber(m.newFlavorId),
    created_at: stamp(m.createdAt), updated_at: stamp(m.updatedAt),
  };
  return mv >= 23 ? { ...view, migration_type: m.kind, links: [] } : view;
}

/** GET /os-migrations (admin): every resize and cold migration, newest first, filtered by host, status, instance or type. */
export function registerMigrationListRoute(app: Hono<AppEnv>) {
  app.get("/v2.1/os-migrations", admin(), async (c) => {
    const { db } = c.var.deps;
    const q = c.req.query();
    const where: SQL[] = [];
    if (q.status) where.push(eq(serverMigrations.status, q.status));
    if (q.instance_uuid) where.push(eq(serverMigrations.serverId, q.instance_uuid));
    if (q.migration_type) where.push(eq(serverMigrations.kind, q.migration_type));
    if (q.host) where.push(sql`(${serverMigrations.sourceHostId} = ${q.host} or ${serverMigrations.destHostId} = ${q.host})`);
    const [rows, fl, hs] = await Promise.all([
      db.select({ m: serverMigrations, n: sql<number>`rowid` }).from(serverMigrations).where(and(...where)).orderBy(desc(serverMigrations.createdAt)),
      db.select({ id: flavors.id, n: sql<number>`rowid` }).from(flavors),
      db.select({ id: hosts.id, hostname: hosts.hostname }).from(hosts),
    ]);
    const flavorNumber = (id: string) => fl.find((f) => f.id === id)?.n ?? null;
    const hostname = (id: string) => hs.find((h) => h.id === id)?.hostname || id;
    const mv = microversion(c);
    return c.json({ migrations: rows.map(({ m, n }) => migrationView({ ...m, n: Number(n) }, flavorNumber, hostname, mv)) });
  });
}
