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
  portSecurityEnabled: integer("port_security_enabled", { mode: "boolean" }).notNull().default(true),
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
  hostRoutes: text("host_routes", { mode: "json" }).$type<Array<{ destination: string; nexthop: string }>>().notNull().default(sql`'[]'`),
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
  description: text("description").notNull().default(""),
  portSecurityEnabled: integer("port_security_enabled", { mode: "boolean" }).notNull().default(true),
  allowedAddressPairs: text("allowed_address_pairs", { mode: "json" }).$type<Array<{ ip_address: string; mac_address: string }>>().notNull().default(sql`'[]'`),
  securityGroupIds: text("security_group_ids", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
  /** Set when the user created the port (Nova leaves such ports behind when it deletes the server). */
  preexisting: integer("preexisting", { mode: "boolean" }).notNull().default(false),
  ...timestamps,
}, (t) => [uniqueIndex("ports_network_mac").on(t.networkId, t.macAddress), index("ports_device").on(t.deviceId)]);

/** One row per fixed IP; the unique index makes concurrent allocation race-free. */
export const ipAllocations = sqliteTable("ip_allocations", {
  subnetId: text("subnet_id").notNull().references(() => subnets.id, { onDelete: "cascade" }),
  ipAddress: text("ip_address").notNull(),
  portId: text("port_id").notNull().references(() => ports.id, { onDelete: "cascade" }),
  networkId: text("network_id").notNull(),
}, (t) => [primaryKey({ columns: [t.subnetId, t.ipAddress] }), index("ip_allocations_port").on(t.portId)]);

export const routers = sqliteTable("routers", {
  id: text("id").primaryKey(),
  name: text("name").notNull().default(""),
  projectId: text("project_id").notNull(),
  adminStateUp: integer("admin_state_up", { mode: "boolean" }).notNull().default(true),
  description: text("description").notNull().default(""),
  /** The external network of the gateway; its port is the one with device_owner network:router_gateway. */
  gatewayNetworkId: text("gateway_network_id").references(() => networks.id),
  enableSnat: integer("enable_snat", { mode: "boolean" }).notNull().default(true),
  ...timestamps,
});

export const floatingIps = sqliteTable("floating_ips", {
  id: text("id").primaryKey(),
  projectId: text("project_id").notNull(),
  floatingNetworkId: text("floating_network_id").notNull().references(() => networks.id),
  /** The port (device_owner network:floatingip) holding the address on the external network. */
  floatingPortId: text("floating_port_id").notNull().references(() => ports.id),
  floatingIpAddress: text("floating_ip_address").notNull(),
  portId: text("port_id").references(() => ports.id, { onDelete: "set null" }),
  fixedIpAddress: text("fixed_ip_address"),
  routerId: text("router_id").references(() => routers.id),
  description: text("description").notNull().default(""),
  ...timestamps,
}, (t) => [uniqueIndex("floating_ips_port_fixed").on(t.portId, t.fixedIpAddress)]);

export const securityGroups = sqliteTable("security_groups", {
  id: text("id").primaryKey(),
  projectId: text("project_id").notNull(),
  name: text("name").notNull().default(""),
  description: text("description").notNull().default(""),
  ...timestamps,
});

/** One row per project: the race-free marker of its `default` security group. */
export const defaultSecurityGroups = sqliteTable("default_security_groups", {
  projectId: text("project_id").primaryKey(),
  securityGroupId: text("security_group_id").notNull().references(() => securityGroups.id, { onDelete: "cascade" }),
});

export const securityGroupRules = sqliteTable("security_group_rules", {
  id: text("id").primaryKey(),
  securityGroupId: text("security_group_id").notNull().references(() => securityGroups.id, { onDelete: "cascade" }),
  projectId: text("project_id").notNull(),
  direction: text("direction").notNull(),
  ethertype: text("ethertype").notNull().default("IPv4"),
  protocol: text("protocol"),
  portRangeMin: integer("port_range_min"),
  portRangeMax: integer("port_range_max"),
  remoteIpPrefix: text("remote_ip_prefix"),
  remoteGroupId: text("remote_group_id").references(() => securityGroups.id, { onDelete: "cascade" }),
  description: text("description").notNull().default(""),
  ...timestamps,
}, (t) => [index("security_group_rules_group").on(t.securityGroupId)]);

/** Per-project overrides of Neutron's default quotas. */
export const networkQuotas = sqliteTable("network_quotas", {
  projectId: text("project_id").notNull(),
  resource: text("resource").notNull(),
  hardLimit: integer("hard_limit").notNull(),
}, (t) => [primaryKey({ columns: [t.projectId, t.resource] })]);
