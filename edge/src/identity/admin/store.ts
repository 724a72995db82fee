import { eq, inArray } from "drizzle-orm";
import type { DbOrTx } from "../../db/client.js";
import { domains, groups, projects, roles, users } from "../../db/schema.js";
import { targetsOfUser } from "../assignments/engine.js";
import { effectiveForUser } from "../assignments/load.js";
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

export async function getGroup(db: DbOrTx, id: string) {
  const row = (await db.select().from(groups).where(eq(groups.id, id)).limit(1))[0];
  if (!row) throw notFoundOf("group", id);
  return row;
}

export async function getRole(db: DbOrTx, id: string) {
  const row = (await db.select().from(roles).where(eq(roles.id, id)).limit(1))[0];
  if (!row) throw notFoundOf("role", id);
  return row;
}

/** The projects a user holds any role on: directly, through a group, or inherited from above. */
export async function projectsOfUser(db: DbOrTx, userId: string) {
  const ids = targetsOfUser((await effectiveForUser(db, userId)).effective, userId, "project");
  if (ids.length === 0) return [];
  return db.select().from(projects).where(inArray(projects.id, ids)).orderBy(projects.name);
}
