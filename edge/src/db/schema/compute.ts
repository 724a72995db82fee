import { sql } from "drizzle-orm";
import { integer, primaryKey, sqliteTable, text, uniqueIndex, index } from "drizzle-orm/sqlite-core";
import { now, timestamps } from "./common";

export const flavors = sqliteTable("flavors", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  vcpus: integer("vcpus").notNull(),
  ramMb: integer("ram_mb").notNull(),
  diskGb: integer("disk_gb").notNull(),
  ephemeralGb: integer("ephemeral_gb").notNull().default(0),
  swapMb: integer("swap_mb").notNull().default(0),
  rxtxFactor: integer("rxtx_factor").notNull().default(1),
  isPublic: integer("is_public", { mode: "boolean" }).notNull().default(true),
  description: text("description"),
});

export const hosts = sqliteTable("hosts", {
  id: text("id").primaryKey(),
  hostname: text("hostname").notNull().default(""),
  /** SHA-256 of a 256-bit random secret (high entropy: a slow KDF adds nothing). */
  secretHash: text("secret_hash").notNull(),
  online: integer("online", { mode: "boolean" }).notNull().default(false),
  lastSeenAt: text("last_seen_at"),
  vcpus: integer("vcpus").notNull().default(0),
  memoryMb: integer("memory_mb").notNull().default(0),
  diskGb: integer("disk_gb").notNull().default(0),
  hypervisorType: text("hypervisor_type").notNull().default("QEMU"),
  version: text("version").notNull().default(""),
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
  ...timestamps,
});

export const servers = sqliteTable("servers", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  projectId: text("project_id").notNull(),
  userId: text("user_id").notNull(),
  flavorId: text("flavor_id").notNull(),
  imageId: text("image_id").notNull(),
  hostId: text("host_id"),
  /** The zone asked for at create, or the zone of the host it landed on. */
  availabilityZone: text("availability_zone"),
  vcpus: integer("vcpus").notNull(),
  memoryMb: integer("memory_mb").notNull(),
  diskGb: integer("disk_gb").notNull(),
  vmState: text("vm_state").notNull().default("building"),
  taskState: text("task_state"),
  powerState: integer("power_state").notNull().default(0),
  progress: integer("progress").notNull().default(0),
  /** Id of the host command whose results may still change this row. */
  commandId: text("command_id"),
  fault: text("fault", { mode: "json" }).$type<{ code: number; message: string; details?: string; created: string }>(),
  metadata: text("metadata", { mode: "json" }).$type<Record<string, string>>().notNull().default(sql`'{}'`),
  keyName: text("key_name"),
  accessIpv4: text("access_ip_v4").notNull().default(""),
  accessIpv6: text("access_ip_v6").notNull().default(""),
  /** Guest configuration: config drive requested, base64 user data, index in a multi-create. */
  configDrive: integer("config_drive", { mode: "boolean" }).notNull().default(false),
  userData: text("user_data"),
  launchIndex: integer("launch_index").notNull().default(0),
  launchedAt: text("launched_at"),
  deletedAt: text("deleted_at"),
  ...timestamps,
}, (t) => [index("servers_project").on(t.projectId), index("servers_host").on(t.hostId)]);

/** Nova keypairs belong to a user, unique by name per user. */
export const keypairs = sqliteTable("keypairs", {
  id: text("id").primaryKey(),
  userId: text("user_id").notNull(),
  name: text("name").notNull(),
  type: text("type").notNull().default("ssh"),
  publicKey: text("public_key").notNull(),
  fingerprint: text("fingerprint").notNull(),
  createdAt: text("created_at").notNull().default(now),
}, (t) => [uniqueIndex("keypairs_user_name").on(t.userId, t.name)]);

/** Server attributes added by later microversions (2.9 lock, 2.19 description, 2.26 tags); absent row = defaults. */
export const serverExtras = sqliteTable("server_extras", {
  serverId: text("server_id").primaryKey(),
  locked: integer("locked", { mode: "boolean" }).notNull().default(false),
  /** Who locked it: "admin" locks bind the owner too; "owner" locks bind other non-admins. */
  lockedBy: text("locked_by"),
  lockedReason: text("locked_reason"),
  description: text("description"),
  tags: text("tags", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
});

/** Nova's instance actions: one row per API action on a server, kept after the server is deleted. */
export const instanceActions = sqliteTable("instance_actions", {
  id: text("id").primaryKey(),
  serverId: text("server_id").notNull(),
  action: text("action").notNull(),
  requestId: text("request_id").notNull(),
  userId: text("user_id").notNull(),
  projectId: text("project_id").notNull(),
  message: text("message"),
  startTime: text("start_time").notNull().default(now),
  updatedAt: text("updated_at").notNull().default(now),
}, (t) => [index("instance_actions_server").on(t.serverId), index("instance_actions_request").on(t.requestId)]);

/** Steps of an instance action; `result` is null until the step finishes. */
export const instanceActionEvents = sqliteTable("instance_action_events", {
  id: text("id").primaryKey(),
  actionId: text("action_id").notNull(),
  event: text("event").notNull(),
  hostId: text("host_id"),
  startTime: text("start_time").notNull().default(now),
  finishTime: text("finish_time"),
  result: text("result"),
  traceback: text("traceback"),
}, (t) => [index("instance_action_events_action").on(t.actionId)]);

/** A resize or cold migration awaiting confirm/revert: the old flavor and source host to go back to. */
export const serverMigrations = sqliteTable("server_migrations", {
  id: text("id").primaryKey(),
  serverId: text("server_id").notNull(),
  kind: text("kind").notNull(),
  status: text("status").notNull(),
  sourceHostId: text("source_host_id").notNull(),
  destHostId: text("dest_host_id").notNull(),
  oldFlavorId: text("old_flavor_id").notNull(),
  newFlavorId: text("new_flavor_id").notNull(),
  ...timestamps,
}, (t) => [index("server_migrations_server").on(t.serverId)]);
/** Per-project quota limits set by an admin; resources not set fall back to the quota class. */
export const quotas = sqliteTable("quotas", {
  projectId: text("project_id").notNull(),
  resource: text("resource").notNull(),
  hardLimit: integer("hard_limit").notNull(),
}, (t) => [primaryKey({ columns: [t.projectId, t.resource] })]);

/** Quota class limits (only `default` is used, as in Nova); resources not set use built-in defaults. */
export const quotaClasses = sqliteTable("quota_classes", {
  className: text("class_name").notNull(),
  resource: text("resource").notNull(),
  hardLimit: integer("hard_limit").notNull(),
}, (t) => [primaryKey({ columns: [t.className, t.resource] })]);

export const flavorExtraSpecs = sqliteTable("flavor_extra_specs", {
  flavorId: text("flavor_id").notNull(),
  key: text("key").notNull(),
  value: text("value").notNull(),
}, (t) => [primaryKey({ columns: [t.flavorId, t.key] })]);

/** Projects that may use a private flavor. */
export const flavorProjects = sqliteTable("flavor_projects", {
  flavorId: text("flavor_id").notNull(),
  projectId: text("project_id").notNull(),
}, (t) => [primaryKey({ columns: [t.flavorId, t.projectId] })]);

export const serverGroups = sqliteTable("server_groups", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  projectId: text("project_id").notNull(),
  userId: text("user_id").notNull(),
  /** affinity, anti-affinity, soft-affinity or soft-anti-affinity. */
  policy: text("policy").notNull(),
  metadata: text("metadata", { mode: "json" }).$type<Record<string, string>>().notNull().default(sql`'{}'`),
  createdAt: text("created_at").notNull().default(now),
}, (t) => [index("server_groups_project").on(t.projectId)]);

export const serverGroupMembers = sqliteTable("server_group_members", {
  groupId: text("group_id").notNull(),
  serverId: text("server_id").notNull(),
}, (t) => [primaryKey({ columns: [t.groupId, t.serverId] }), index("server_group_members_server").on(t.serverId)]);

/** Host aggregates; `availability_zone` lives in the metadata, as in Nova. */
export const aggregates = sqliteTable("aggregates", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  uuid: text("uuid").notNull().unique(),
  name: text("name").notNull().unique(),
  metadata: text("metadata", { mode: "json" }).$type<Record<string, string>>().notNull().default(sql`'{}'`),
  ...timestamps,
});

export const aggregateHosts = sqliteTable("aggregate_hosts", {
  aggregateId: integer("aggregate_id").notNull(),
  hostId: text("host_id").notNull(),
}, (t) => [primaryKey({ columns: [t.aggregateId, t.hostId] })]);

/** The nova-compute service view of a host: why it is disabled, forced down, what it last reported. */
export const hostServices = sqliteTable("host_services", {
  hostId: text("host_id").primaryKey(),
  disabledReason: text("disabled_reason"),
  forcedDown: integer("forced_down", { mode: "boolean" }).notNull().default(false),
  hostIp: text("host_ip").notNull().default(""),
  arch: text("arch").notNull().default(""),
  runningVms: integer("running_vms").notNull().default(0),
  updatedAt: text("updated_at"),
});
