import { and, eq, inArray } from "drizzle-orm";
import type { DbOrTx } from "../../db/client.js";
import { domains, projects, roleAssignments, roles, users } from "../../db/schema.js";
import { notFoundOf } from "./common.js";

/** Lookups by id that answer Keystone's 404 ("Could not find project: <id>.") when missing. */
export async function getDomain(db: DbOrTx, id: string) {
  const row = (await db.select().from(domains).where(eq(domains.id, id)).limit(1))[0];
  if (!row) throw notFoundOf("domain", id);
  return row;
}

export async function getProject(db: DbOrTx, id: string) {
  const row = (await db.select().from(projects).where(eq(projects.id, id)).limit(1))[0];
  if (!row) throw notFoundOf("project", id);
  return row;
}

export async function getUser(db: DbOrTx, id: string) {
  const row = (await db.select().from(users).where(eq(users.id, id)).limit(1))[0];
  if (!row) throw notFoundOf("user", id);
  return row;
}

export async function getRole(db: DbOrTx, id: string) {
  const row = (await db.select().from(roles).where(eq(roles.id, id)).limit(1))[0];
  if (!row) throw notFoundOf("role", id);
  return row;
}

/** The projects a user holds any role on. */
export async function projectsOfUser(db: DbOrTx, userId: string) {
  const ids = (await db.selectDistinct({ id: roleAssignments.projectId }).from(roleAssignments).where(eq(roleAssignments.userId, userId))).map((r) => r.id);
  if (ids.length === 0) return [];
  return db.select().from(projects).where(inArray(projects.id, ids)).orderBy(projects.name);
}

/** Whether the user holds this role on this project (directly). */
export async function hasAssignment(db: DbOrTx, a: { projectId: string; userId: string; roleId: string }) {
  const where = and(eq(roleAssignments.projectId, a.projectId), eq(roleAssignments.userId, a.userId), eq(roleAssignments.roleId, a.roleId));
  return (await db.select().from(roleAssignments).where(where).limit(1)).length > 0;
}
