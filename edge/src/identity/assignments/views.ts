import type { Effective, Grant } from "./engine.js";

const collection = { user: "users", group: "groups", project: "projects", domain: "domains" } as const;

/** The URL path (under /v3) of a stored grant, as Keystone links it. */
export function grantPath(g: Grant): string {
  const actor = `${collection[g.actorType]}/${g.actorId}/roles/${g.roleId}`;
  if (g.targetType === "system") return `/system/${actor}`;
  const target = `/${collection[g.targetType]}/${g.targetId}/${actor}`;
  return g.inherited ? `/OS-INHERIT${target}/inherited_to_projects` : target;
}

/** Names for `include_names`. */
export interface AssignmentNames {
  users: Map<string, { name: string; domainId: string }>;
  groups: Map<string, { name: string; domainId: string }>;
  projects: Map<string, { name: string; domainId: string }>;
  domains: Map<string, string>;
  roles: Map<string, { name: string; domainId: string | null }>;
}

type Ref = { id: string; name?: string; domain?: { id: string; name?: string } };

function refOf(id: string, names: AssignmentNames | undefined, kind: "users" | "groups" | "projects"): Ref {
  if (!names) return { id };
  const n = names[kind].get(id);
  return { id, name: n?.name, domain: n ? { id: n.domainId, name: names.domains.get(n.domainId) } : undefined };
}

function roleRef(id: string, names?: AssignmentNames): Ref {
  if (!names) return { id };
  const r = names.roles.get(id);
  const ref: Ref = { id, name: r?.name };
  if (r?.domainId) ref.domain = { id: r.domainId, name: names.domains.get(r.domainId) };
  return ref;
}

function scopeOf(targetType: Grant["targetType"], targetId: string, inherited: boolean, names?: AssignmentNames) {
  const scope: Record<string, unknown> =
    targetType === "system" ? { system: { all: true } }
    : targetType === "domain" ? { domain: names ? { id: targetId, name: names.domains.get(targetId) } : { id: targetId } }
    : { project: refOf(targetId, names, "projects") };
  if (inherited) scope["OS-INHERIT:inherited_to"] = "projects";
  return scope;
}

/** One stored grant in GET /v3/role_assignments. */
export function grantView(g: Grant, base: string, names?: AssignmentNames) {
  const actor = g.actorType === "user" ? { user: refOf(g.actorId, names, "users") } : { group: refOf(g.actorId, names, "groups") };
  return { links: { assignment: `${base}${grantPath(g)}` }, role: roleRef(g.roleId, names), scope: scopeOf(g.targetType, g.targetId, g.inherited, names), ...actor };
}

/** One effective assignment in GET /v3/role_assignments?effective: links say where it comes from. */
export function effectiveView(e: Effective, base: string, names?: AssignmentNames) {
  const links: Record<string, string> = { assignment: `${base}${grantPath(e.grant)}` };
  if (e.groupId) links.membership = `${base}/groups/${e.groupId}/users/${e.userId}`;
  if (e.priorRoleId) links.prior_role = `${base}/roles/${e.priorRoleId}/implies/${e.roleId}`;
  return { links, role: roleRef(e.roleId, names), scope: scopeOf(e.targetType, e.targetId, false, names), user: refOf(e.userId, names, "users") };
}
