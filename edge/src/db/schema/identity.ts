import { sql } from "drizzle-orm";
import { integer, primaryKey, sqliteTable, text, uniqueIndex, index } from "drizzle-orm/sqlite-core";
import { now, timestamps } from "./common";

/** Keystone domains; the "default" domain is inserted by a migration. */
export const domains = sqliteTable("domains", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  description: text("description").notNull().default(""),
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
  tags: text("tags", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
  ...timestamps,
});

export const projects = sqliteTable("projects", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  domainId: text("domain_id").notNull().default("default"),
  description: text("description").notNull().default(""),
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
  /** Parent project; null for a top-level project (whose Keystone parent is its domain). */
  parentId: text("parent_id"),
  tags: text("tags", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
  ...timestamps,
}, (t) => [uniqueIndex("projects_domain_name").on(t.domainId, t.name)]);

export const users = sqliteTable("users", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  domainId: text("domain_id").notNull().default("default"),
  passwordHash: text("password_hash").notNull(),
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
  defaultProjectId: text("default_project_id"),
  /** Keystone's free-form user attributes (email, description, …). */
  extra: text("extra", { mode: "json" }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
  /** Hashes of the passwords before the current one, oldest first (a self-service change may not reuse them). */
  passwordHistory: text("password_history", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
  ...timestamps,
}, (t) => [uniqueIndex("users_domain_name").on(t.domainId, t.name)]);

/** Roles: global (domain_id null, names unique) or specific to a domain (names unique within it). */
export const roles = sqliteTable("roles", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  description: text("description"),
  domainId: text("domain_id"),
}, (t) => [
  uniqueIndex("roles_global_name").on(t.name).where(sql`domain_id IS NULL`),
  uniqueIndex("roles_domain_name").on(t.domainId, t.name),
]);

/** Role inference rules: holding `prior_role_id` also grants `implied_role_id`. */
export const impliedRoles = sqliteTable("implied_roles", {
  priorRoleId: text("prior_role_id").notNull().references(() => roles.id, { onDelete: "cascade" }),
  impliedRoleId: text("implied_role_id").notNull().references(() => roles.id, { onDelete: "cascade" }),
}, (t) => [primaryKey({ columns: [t.priorRoleId, t.impliedRoleId] })]);

export const groups = sqliteTable("groups", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  domainId: text("domain_id").notNull().default("default"),
  description: text("description").notNull().default(""),
  /** Keystone's free-form group attributes. */
  extra: text("extra", { mode: "json" }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
  ...timestamps,
}, (t) => [uniqueIndex("groups_domain_name").on(t.domainId, t.name)]);

export const groupMembers = sqliteTable("group_members", {
  groupId: text("group_id").notNull().references(() => groups.id, { onDelete: "cascade" }),
  userId: text("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
}, (t) => [primaryKey({ columns: [t.groupId, t.userId] }), index("group_members_user").on(t.userId)]);

/**
 * Keystone's assignment table: a role held by a user or group on a project, a domain or the
 * system (target id "system"). `inherited` grants apply to the projects below the target instead.
 */
export const assignments = sqliteTable("assignments", {
  actorType: text("actor_type", { enum: ["user", "group"] }).notNull(),
  actorId: text("actor_id").notNull(),
  targetType: text("target_type", { enum: ["project", "domain", "system"] }).notNull(),
  targetId: text("target_id").notNull(),
  roleId: text("role_id").notNull().references(() => roles.id, { onDelete: "cascade" }),
  inherited: integer("inherited", { mode: "boolean" }).notNull().default(false),
}, (t) => [
  primaryKey({ columns: [t.actorType, t.actorId, t.targetType, t.targetId, t.roleId, t.inherited] }),
  index("assignments_actor").on(t.actorId),
  index("assignments_target").on(t.targetId),
]);

/** Audit ids of revoked tokens; rows expire with the token. */
export const revokedTokens = sqliteTable("revoked_tokens", {
  auditId: text("audit_id").primaryKey(),
  expiresAt: text("expires_at").notNull(),
});

/**
 * Keystone-style revocation events: every token issued at or before `issued_before` (epoch ms)
 * whose claims match all the non-null columns is revoked. Rows outlive every token they can match
 * (`expires_at`, epoch ms).
 */
export const revocationEvents = sqliteTable("revocation_events", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  userId: text("user_id"),
  projectId: text("project_id"),
  domainId: text("domain_id"),
  roleId: text("role_id"),
  appCredId: text("app_cred_id"),
  issuedBefore: integer("issued_before").notNull(),
  expiresAt: integer("expires_at").notNull(),
}, (t) => [index("revocation_events_expires").on(t.expiresAt)]);

/**
 * Failed password logins per user reference and source address, for rate limiting: `failures`
 * within the window that began at `window_start` (epoch ms). Only failures write; a success deletes.
 */
export const loginAttempts = sqliteTable("login_attempts", {
  userKey: text("user_key").notNull(),
  source: text("source").notNull(),
  failures: integer("failures").notNull(),
  windowStart: integer("window_start").notNull(),
}, (t) => [primaryKey({ columns: [t.userKey, t.source] })]);

/** Catalog regions; `parent_region_id` nests them. */
export const regions = sqliteTable("regions", {
  id: text("id").primaryKey(),
  description: text("description").notNull().default(""),
  parentRegionId: text("parent_region_id"),
  extra: text("extra", { mode: "json" }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
});

export const services = sqliteTable("services", {
  id: text("id").primaryKey(),
  type: text("type").notNull(),
  name: text("name").notNull().default(""),
  description: text("description").notNull().default(""),
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
  extra: text("extra", { mode: "json" }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
});

/** A service's URL for one interface in one region; a URL starting with "/" is relative to the API's public origin. */
export const endpoints = sqliteTable("endpoints", {
  id: text("id").primaryKey(),
  serviceId: text("service_id").notNull().references(() => services.id, { onDelete: "cascade" }),
  interface: text("interface").notNull(),
  url: text("url").notNull(),
  regionId: text("region_id"),
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
  extra: text("extra", { mode: "json" }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
}, (t) => [index("endpoints_service").on(t.serviceId)]);

/**
 * Application credentials: a secret (only its hash is kept) that authenticates as the user on one
 * project with a fixed subset of the user's roles there.
 */
export const applicationCredentials = sqliteTable("application_credentials", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  userId: text("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
  projectId: text("project_id").notNull(),
  secretHash: text("secret_hash").notNull(),
  description: text("description"),
  /** Keystone's rendering of the expiry (naive UTC ISO 8601), and the same instant in epoch ms. */
  expiresAt: text("expires_at"),
  expiresAtMs: integer("expires_at_ms"),
  unrestricted: integer("unrestricted", { mode: "boolean" }).notNull().default(false),
  roleIds: text("role_ids", { mode: "json" }).$type<string[]>().notNull(),
  createdAt: text("created_at").notNull().default(now),
}, (t) => [uniqueIndex("application_credentials_user_name").on(t.userId, t.name)]);
