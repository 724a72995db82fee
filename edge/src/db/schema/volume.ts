import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { now, timestamps } from "./common";

/** Cinder volumes; `host_id` is the host whose pool holds the volume's file. */
export const volumes = sqliteTable("volumes", {
  id: text("id").primaryKey(),
  projectId: text("project_id").notNull(),
  userId: text("user_id").notNull(),
  name: text("name"),
  description: text("description"),
  size: integer("size").notNull(),
  status: text("status").notNull().default("creating"),
  hostId: text("host_id"),
  backend: text("backend"),
  volumeTypeId: text("volume_type_id"),
  availabilityZone: text("availability_zone").notNull().default("nova"),
  bootable: integer("bootable", { mode: "boolean" }).notNull().default(false),
  /** Visible admin metadata `readonly` ("True"/"False"), null until set. */
  readonly: text("readonly"),
  sourceVolid: text("source_volid"),
  snapshotId: text("snapshot_id"),
  imageId: text("image_id"),
  imageMetadata: text("image_metadata", { mode: "json" }).$type<Record<string, string>>(),
  metadata: text("metadata", { mode: "json" }).$type<Record<string, string>>().notNull().default(sql`'{}'`),
  /** Id of the host command whose result may still change this row (compare-and-swap). */
  commandId: text("command_id"),
  /** Why the volume is in `error` (or why its last operation failed). */
  errorReason: text("error_reason"),
  deletedAt: text("deleted_at"),
  ...timestamps,
}, (t) => [index("volumes_project").on(t.projectId), index("volumes_host").on(t.hostId)]);

export const volumeAttachments = sqliteTable("volume_attachments", {
  id: text("id").primaryKey(),
  volumeId: text("volume_id").notNull(),
  serverId: text("server_id").notNull(),
  hostId: text("host_id").notNull(),
  device: text("device").notNull(),
  /** Boot volumes (block_device_mapping_v2) may go with their server. */
  deleteOnTermination: integer("delete_on_termination", { mode: "boolean" }).notNull().default(false),
  attachedAt: text("attached_at").notNull().default(now),
}, (t) => [uniqueIndex("volume_attachments_volume").on(t.volumeId), index("volume_attachments_server").on(t.serverId)]);

export const volumeSnapshots = sqliteTable("volume_snapshots", {
  id: text("id").primaryKey(),
  volumeId: text("volume_id").notNull(),
  projectId: text("project_id").notNull(),
  userId: text("user_id").notNull(),
  name: text("name"),
  description: text("description"),
  size: integer("size").notNull(),
  status: text("status").notNull().default("creating"),
  /** As reported through os-update_snapshot_status (e.g. "80%"); null means derived from the status. */
  progress: text("progress"),
  hostId: text("host_id"),
  metadata: text("metadata", { mode: "json" }).$type<Record<string, string>>().notNull().default(sql`'{}'`),
  commandId: text("command_id"),
  errorReason: text("error_reason"),
  deletedAt: text("deleted_at"),
  ...timestamps,
}, (t) => [index("volume_snapshots_project").on(t.projectId), index("volume_snapshots_volume").on(t.volumeId)]);

export const volumeTypes = sqliteTable("volume_types", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  description: text("description"),
  isPublic: integer("is_public", { mode: "boolean" }).notNull().default(true),
  extraSpecs: text("extra_specs", { mode: "json" }).$type<Record<string, string>>().notNull().default(sql`'{}'`),
  ...timestamps,
});

/** Per-project hard limits that differ from the defaults (Cinder's quota sets). */
export const volumeQuotas = sqliteTable("volume_quotas", {
  projectId: text("project_id").notNull(),
  resource: text("resource").notNull(),
  hardLimit: integer("hard_limit").notNull(),
}, (t) => [primaryKey({ columns: [t.projectId, t.resource] })]);

/** What each host's volume pool reported last (capacity for placement). */
export const volumePools = sqliteTable("volume_pools", {
  hostId: text("host_id").primaryKey(),
  backend: text("backend").notNull(),
  totalGb: integer("total_gb").notNull(),
  freeGb: integer("free_gb").notNull(),
  updatedAt: text("updated_at").notNull().default(now),
});
