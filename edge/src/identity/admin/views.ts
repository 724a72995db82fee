import type { domains, groups, projects, roles, users } from "../../db/schema.js";
import { isImmutableRole } from "./immutable.js";

export type DomainRow = typeof domains.$inferSelect;
export type ProjectRow = typeof projects.$inferSelect;
export type UserRow = typeof users.$inferSelect;
export type GroupRow = typeof groups.$inferSelect;
export type RoleRow = typeof roles.$inferSelect;

/** Keystone bodies, built from rows; `base` is the v3 root (`http://H/identity/v3`). */
export function domainView(d: DomainRow, base: string) {
  return { id: d.id, name: d.name, description: d.description, enabled: d.enabled, tags: d.tags, options: {}, links: { self: `${base}/domains/${d.id}` } };
}

export function projectView(p: ProjectRow, base: string) {
  return {
    id: p.id, name: p.name, domain_id: p.domainId, description: p.description, enabled: p.enabled,
    parent_id: p.parentId ?? p.domainId, is_domain: false, tags: p.tags, options: {}, links: { self: `${base}/projects/${p.id}` },
  };
}

/** A domain seen through the projects API: Keystone's project that acts as a domain. */
export function domainAsProjectView(d: DomainRow, base: string) {
  return {
    id: d.id, name: d.name, domain_id: null, description: d.description, enabled: d.enabled,
    parent_id: null, is_domain: true, tags: d.tags, options: {}, links: { self: `${base}/projects/${d.id}` },
  };
}

/** Extra attributes (email, description…) sit beside the fixed ones; the hash never leaves. */
export function userView(u: UserRow, base: string) {
  return {
    ...u.extra,
    id: u.id, name: u.name, domain_id: u.domainId, enabled: u.enabled,
    ...(u.defaultProjectId ? { default_project_id: u.defaultProjectId } : {}),
    password_expires_at: null, options: {}, links: { self: `${base}/users/${u.id}` },
  };
}

export function groupView(g: GroupRow, base: string) {
  return { ...g.extra, id: g.id, name: g.name, domain_id: g.domainId, description: g.description, links: { self: `${base}/groups/${g.id}` } };
}

export function roleView(r: RoleRow, base: string) {
  return {
    id: r.id, name: r.name, domain_id: r.domainId, description: r.description ?? null,
    options: isImmutableRole(r) ? { immutable: true } : {}, links: { self: `${base}/roles/${r.id}` },
  };
}

/** The short role reference inside role inference bodies. */
export function roleBrief(r: RoleRow, base: string) {
  return { id: r.id, name: r.name, description: r.description ?? null, links: { self: `${base}/roles/${r.id}` } };
}
