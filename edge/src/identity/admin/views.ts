import type { domains, projects, roles, users } from "../../db/schema.js";
import { isImmutableRole, type Assignment } from "./inference.js";

export type DomainRow = typeof domains.$inferSelect;
export type ProjectRow = typeof projects.$inferSelect;
export type UserRow = typeof users.$inferSelect;
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

/** Extra attributes (email, description…) sit beside the fixed ones; the hash never leaves. */
export function userView(u: UserRow, base: string) {
  return {
    ...u.extra,
    id: u.id, name: u.name, domain_id: u.domainId, enabled: u.enabled,
    ...(u.defaultProjectId ? { default_project_id: u.defaultProjectId } : {}),
    password_expires_at: null, options: {}, links: { self: `${base}/users/${u.id}` },
  };
}

export function roleView(r: RoleRow, base: string) {
  return {
    id: r.id, name: r.name, domain_id: null, description: r.description ?? null,
    options: isImmutableRole(r.name) ? { immutable: true } : {}, links: { self: `${base}/roles/${r.id}` },
  };
}

/** Names for `include_names`: users and projects with their domain id, roles, domains. */
export interface AssignmentNames {
  users: Map<string, { name: string; domainId: string }>;
  projects: Map<string, { name: string; domainId: string }>;
  roles: Map<string, string>;
  domains: Map<string, string>;
}

/** One entry of GET /v3/role_assignments; `links.assignment` is the grant's own URL. */
export function assignmentView(a: Assignment, base: string, names?: AssignmentNames) {
  const assignment = `${base}/projects/${a.projectId}/users/${a.userId}/roles/${a.priorRoleId ?? a.roleId}`;
  const links = a.priorRoleId ? { assignment, prior_role: `${base}/roles/${a.priorRoleId}/implies/${a.roleId}` } : { assignment };
  if (!names) return { links, role: { id: a.roleId }, scope: { project: { id: a.projectId } }, user: { id: a.userId } };
  const domain = (id = "") => ({ id, name: names.domains.get(id) ?? id });
  const user = names.users.get(a.userId);
  const project = names.projects.get(a.projectId);
  return {
    links,
    role: { id: a.roleId, name: names.roles.get(a.roleId) },
    scope: { project: { id: a.projectId, name: project?.name, domain: domain(project?.domainId) } },
    user: { id: a.userId, name: user?.name, domain: domain(user?.domainId) },
  };
}
