import { primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { now } from "./common";

/**
 * Which host runs each router's namespace (Neutron's router-to-L3-agent binding). No foreign key:
 * a deleted router's row outlives it until its host has been told to remove the namespace.
 * `hostId` null is "unscheduled": no eligible host could take it; placement is retried whenever a
 * host comes online.
 */
export const routerBindings = sqliteTable("router_bindings", {
  routerId: text("router_id").primaryKey(),
  hostId: text("host_id"),
  /** Why the router is unscheduled (null while it runs somewhere). */
  reason: text("reason"),
  updatedAt: text("updated_at").notNull().default(now),
});

/** Namespaces a host may still hold for routers moved away while it was down; removed on its return. */
export const routerCleanups = sqliteTable("router_cleanups", {
  routerId: text("router_id").notNull(),
  hostId: text("host_id").notNull(),
}, (t) => [primaryKey({ columns: [t.routerId, t.hostId] })]);

/**
 * The external networks (names or ids) a host can reach, as it advertised at registration; null
 * (or no row: an older daemon) is every external network, the all-in-one's case.
 */
export const hostExternalNetworks = sqliteTable("host_external_networks", {
  hostId: text("host_id").primaryKey(),
  networks: text("networks", { mode: "json" }).$type<string[] | null>(),
});
