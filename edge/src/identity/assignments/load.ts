import { and, eq, inArray, or } from "drizzle-orm";
import type { DbOrTx } from "../../db/client.js";
import { assignments, groupMembers, impliedRoles, projects, roles } from "../../db/schema.js";
import { effectiveAssignments, type Effective, type Grant, type World } from "./engine.js";

export type RoleInfo = { id: string; name: string; domainId: string | null };
/** A World whose roles carry their names. */
export type NamedWorld = Omit<World, "roles"> & { roles: RoleInfo[] };

async function rolesAndRules(db: DbOrTx) {
  const [roleRows, rules] = await Promise.all([
    db.select({ id: roles.id, name: roles.name, domainId: roles.domainId }).from(roles),
    db.select().from(impliedRoles),
  ]);
  return { roles: roleRows as RoleInfo[], rules };
}

/** Projects as tree nodes; only read when an inherited grant needs them. */
const projectNodes = (db: DbOrTx) => db.select({ id: projects.id, domainId: projects.domainId, parentId: projects.parentId }).from(projects);

/** One user's grants (their own and their groups') and what expanding them needs. */
export async function userWorld(db: DbOrTx, userId: string): Promise<{ grants: Grant[]; world: NamedWorld }> {
  const groupIds = (await db.select({ id: groupMembers.groupId }).from(groupMembers).where(eq(groupMembers.userId, userId))).map((g) => g.id);
  const mine = and(eq(assignments.actorType, "user"), eq(assignments.actorId, userId));
  const theirs = groupIds.length ? and(eq(assignments.actorType, "group"), inArray(assignments.actorId, groupIds)) : undefined;
  const grants: Grant[] = await db.select().from(assignments).where(theirs ? or(mine, theirs) : mine);
  const [{ roles: roleRows, rules }, projectRows] = await Promise.all([rolesAndRules(db), grants.some((g) => g.inherited) ? projectNodes(db) : []]);
  const memberOf = new Set(groupIds);
  return { grants, world: { membersOf: (g) => (memberOf.has(g) ? [userId] : []), projects: projectRows, roles: roleRows, rules } };
}

/** What a user effectively holds, and the roles by id to name them. */
export async function effectiveForUser(db: DbOrTx, userId: string): Promise<{ effective: Effective[]; roles: Map<string, RoleInfo> }> {
  const { grants, world } = await userWorld(db, userId);
  return { effective: effectiveAssignments(grants, world), roles: new Map(world.roles.map((r) => [r.id, r])) };
}

/** Every grant and membership, for the admin listing of role assignments. */
export async function fullWorld(db: DbOrTx): Promise<{ grants: Grant[]; world: NamedWorld }> {
  const [grants, members, { roles: roleRows, rules }, projectRows] = await Promise.all([
    db.select().from(assignments),
    db.select().from(groupMembers),
    rolesAndRules(db),
    projectNodes(db),
  ]);
  const byGroup = new Map<string, string[]>();
  for (const m of members) byGroup.set(m.groupId, [...(byGroup.get(m.groupId) ?? []), m.userId]);
  return { grants, world: { membersOf: (g) => byGroup.get(g) ?? [], projects: projectRows, roles: roleRows, rules } };
}
