import { sql } from "drizzle-orm";
import { integer, primaryKey, sqliteTable, text, uniqueIndex, index } from "drizzle-orm/sqlite-core";
import { timestamps } from "./common";

export const networks = sqliteTable("networks", {
  id: text("id").primaryKey(),
  name: text("name").notNull().default(""),
  projectId: text("project_id").notNull(),
  shared: integer("shared", { mode: "boolean" }).notNull().default(false),
  external: integer("external", { mode: "boolean" }).notNull().default(false),
  adminStateUp: integer("admin_state_up", { mode: "boolean" }).notNull().default(true),
  mtu: integer("mtu").notNull().default(1500),
  description: text("description").notNull().default(""),
  ...timestamps,
});

export const subnets = sqliteTable("subnets", {
  id: text("id").primaryKey(),
  networkId: text("network_id").notNull().references(() => networks.id, { onDelete: "cascade" }),
  projectId: text("project_id").notNull(),
  name: text("name").notNull().default(""),
  cidr: text("cidr").notNull(),
  ipVersion: integer("ip_version").notNull().default(4),
  gatewayIp: text("gateway_ip"),
  enableDhcp: integer("enable_dhcp", { mode: "boolean" }).notNull().default(true),
  allocationPools: text("allocation_pools", { mode: "json" }).$type<Array<{ start: string; end: string }>>().notNull(),
  dnsNameservers: text("dns_nameservers", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
  description: text("description").notNull().default(""),
  ...timestamps,
});

export const ports = sqliteTable("ports", {
  id: text("id").primaryKey(),
  networkId: text("network_id").notNull().references(() => networks.id),
  projectId: text("project_id").notNull(),
  name: text("name").notNull().default(""),
  macAddress: text("mac_address").notNull(),
  deviceId: text("device_id").notNull().default(""),
  deviceOwner: text("device_owner").notNull().default(""),
  hostId: text("host_id"),
  adminStateUp: integer("admin_state_up", { mode: "boolean" }).notNull().default(true),
  status: text("status").notNull().default("DOWN"),
  ...timestamps,
}, (t) => [uniqueIndex("ports_network_mac").on(t.networkId, t.macAddress), index("ports_device").on(t.deviceId)]);

/** One row per fixed IP; the unique index makes concurrent allocation race-free. */
export const ipAllocations = sqliteTable("ip_allocations", {
  subnetId: text("subnet_id").notNull().references(() => subnets.id, { onDelete: "cascade" }),
  ipAddress: text("ip_address").notNull(),
  portId: text("port_id").notNull().references(() => ports.id, { onDelete: "cascade" }),
  networkId: text("network_id").notNull(),
}, (t) => [primaryKey({ columns: [t.subnetId, t.ipAddress] }), index("ip_allocations_port").on(t.portId)]);
