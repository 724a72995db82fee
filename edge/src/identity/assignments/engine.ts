/**
 * Keystone's effective role assignments, as pure functions over stored grants: group grants reach
 * the group's members, inherited grants reach the projects below their target, roles bring the
 * roles they imply, and domain-specific roles drop out (only what they imply stays).
 */
export type ActorType = "user" | "group";
export type TargetType = "project" | "domain" | "system";

/** One stored grant (a row of the assignments table). */
export interface Grant { actorType: ActorType; actorId: string; targetType: TargetType; targetId: string; roleId: string; inherited: boolean }

/** A role a user effectively holds on a target, and where it comes from. */
export interface Effective {
  userId: string;
  targetType: TargetType;
  targetId: string;
  roleId: string;
  /** The stored grant this derives from. */
  grant: Grant;
  /** Set when the grant is the group's and the user holds it as a member. */
  groupId?: string;
  /** Set when the role is implied: the role that implies it (one step up the rules). */
  priorRoleId?: string;
}

export interface ProjectNode { id: string; domainId: string; parentId: string | null }
export interface RoleNode { id: string; domainId: string | null }
export interface Rule { priorRoleId: string; impliedRoleId: string }

/** What expansion needs to know besides the grants. */
export interface World {
  membersOf: (groupId: string) => string[];
  projects: ProjectNode[];
  roles: RoleNode[];
  rules: Rule[];
}

/** Projects strictly below `rootId`, nearest first. */
export function descendants(projects: ProjectNode[], rootId: string): ProjectNode[] {
  const children = new Map<string, ProjectNode[]>();
  for (const p of projects) if (p.parentId) children.set(p.parentId, [...(children.get(p.parentId) ?? []), p]);
  const out: ProjectNode[] = [];
  const queue = [...(children.get(rootId) ?? [])];
  while (queue.length) {
    const p = queue.shift()!;
    if (out.some((o) => o.id === p.id)) continue;
    out.push(p);
    queue.push(...(children.get(p.id) ?? []));
  }
  return out;
}

/** The targets a grant applies to: itself, or for an inherited grant the projects below it. */
function targetsOf(g: Grant, projects: ProjectNode[]): Array<{ targetType: TargetType; targetId: string }> {
  if (!g.inherited) return [{ targetType: g.targetType, targetId: g.targetId }];
  const below = g.targetType === "domain" ? projects.filter((p) => p.domainId === g.targetId) : g.targetType === "project" ? descendants(projects, g.targetId) : [];
  return below.map((p) => ({ targetType: "project" as const, targetId: p.id }));
}

/** The roles `roleId` implies, transitively, each with the role one step before it. */
export function impliedBy(roleId: string, rules: Rule[]): Array<{ roleId: string; priorRoleId: string }> {
  const out: Array<{ roleId: string; priorRoleId: string }> = [];
  const seen = new Set([roleId]);
  const queue = [roleId];
  while (queue.length) {
    const prior = queue.shift()!;
    for (const r of rules) {
      if (r.priorRoleId !== prior || seen.has(r.impliedRoleId)) continue;
      seen.add(r.impliedRoleId);
      out.push({ roleId: r.impliedRoleId, priorRoleId: prior });
      queue.push(r.impliedRoleId);
    }
  }
  return out;
}

const grantKey = (g: Grant) => [g.actorType, g.actorId, g.targetType, g.targetId, g.roleId, g.inherited].join("|");
const holdingKey = (e: Effective) => [e.userId, e.targetType, e.targetId, e.roleId].join("|");

/**
 * Expands stored grants to what users effectively hold. Entries derived straight from a grant come
 * first, in grant order; an implied role is left out when the user already holds it on that target.
 */
export function effectiveAssignments(grants: Grant[], world: World): Effective[] {
  const base: Effective[] = [];
  const seenBase = new Set<string>();
  for (const grant of grants) {
    const users = grant.actorType === "user" ? [{ userId: grant.actorId }] : world.membersOf(grant.actorId).map((userId) => ({ userId, groupId: grant.actorId }));
    for (const target of targetsOf(grant, world.projects)) {
      for (const u of users) {
        const e: Effective = { ...u, ...target, roleId: grant.roleId, grant };
        const key = `${holdingKey(e)}|${grantKey(grant)}`;
        if (!seenBase.has(key)) seenBase.add(key), base.push(e);
      }
    }
  }
  const held = new Set(base.map(holdingKey));
  const implied: Effective[] = [];
  for (const e of base) {
    for (const i of impliedBy(e.roleId, world.rules)) {
      const entry: Effective = { ...e, roleId: i.roleId, priorRoleId: i.priorRoleId };
      if (held.has(holdingKey(entry))) continue;
      held.add(holdingKey(entry));
      implied.push(entry);
    }
  }
  const domainSpecific = new Set(world.roles.filter((r) => r.domainId).map((r) => r.id));
  return [...base, ...implied].filter((e) => !domainSpecific.has(e.roleId));
}

/** The distinct role ids a user effectively holds on one target. */
export function rolesOnTarget(effective: Effective[], userId: string, targetType: TargetType, targetId: string): string[] {
  const ids = effective.filter((e) => e.userId === userId && e.targetType === targetType && e.targetId === targetId).map((e) => e.roleId);
  return [...new Set(ids)];
}

/** The distinct targets of one type on which a user holds any role. */
export function targetsOfUser(effective: Effective[], userId: string, targetType: TargetType): string[] {
  return [...new Set(effective.filter((e) => e.userId === userId && e.targetType === targetType).map((e) => e.targetId))];
}
