import { sql } from "drizzle-orm";
import { integer, sqliteTable, text, index, primaryKey } from "drizzle-orm/sqlite-core";
import { timestamps } from "./common";

export const images = sqliteTable("images", {
  id: text("id").primaryKey(),
  name: text("name"),
  owner: text("owner").notNull(),
  status: text("status").notNull().default("queued"),
  visibility: text("visibility").notNull().default("shared"),
  protected: integer("protected", { mode: "boolean" }).notNull().default(false),
  hidden: integer("os_hidden", { mode: "boolean" }).notNull().default(false),
  diskFormat: text("disk_format"),
  containerFormat: text("container_format"),
  size: integer("size"),
  virtualSize: integer("virtual_size"),
  checksum: text("checksum"),
  hashAlgo: text("os_hash_algo"),
  hashValue: text("os_hash_value"),
  minDisk: integer("min_disk").notNull().default(0),
  minRam: integer("min_ram").notNull().default(0),
  tags: text("tags", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
  properties: text("properties", { mode: "json" }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
  ...timestamps,
}, (t) => [index("images_owner").on(t.owner)]);

/** Glance image members: projects an owner shares a `shared` image with, and their answer. */
export const imageMembers = sqliteTable("image_members", {
  imageId: text("image_id").notNull().references(() => images.id, { onDelete: "cascade" }),
  memberId: text("member_id").notNull(),
  status: text("status").notNull().default("pending"),
  ...timestamps,
}, (t) => [primaryKey({ columns: [t.imageId, t.memberId] }), index("image_members_member").on(t.memberId)]);
