import { and, eq } from "drizzle-orm";
import type { DbOrTx } from "../../db/client.js";
import { projects } from "../../db/schema.js";
import { rolesOnTarget, type TargetType } from "../assignments/engine.js";
import { effectiveForUser } from "../assignments/load.js";
import type { DomainRef } from "../auth-request.js";
import { authFailed, findDomain, type DomainRow } from "./identify.js";

type ProjectRef = { id?: string; name?: string; domain?: DomainRef };
export type ProjectRow = typeof projects.$inferSelect;

/** An enabled project in an enabled domain, named by id or by name within a domain. */
export async function resolveProject(db: DbOrTx, ref: ProjectRef): Promise<{ project: ProjectRow; domain: DomainRow }> {
  let project: ProjectRow | undefined;
  if (ref.id) {
    project = (await db.select().from(projects).where(eq(projects.id, ref.id)).limit(1))[0];
  } else {
    const d = await findDomain(db, ref.domain);
    project = d ? (await db.select().from(projects).where(and(eq(projects.name, ref.name ?? ""), eq(projects.domainId, d.id))).limit(1))[0] : undefined;
  }
  const domain = project ? await findDomain(db, { id: project.domainId }) : null;
  if (!project || !project.enabled || !domain?.enabled) throw authFailed();
  return { project, domain };
}

/** An enabled domain, named by id or name. */
export async function resolveDomain(db: DbOrTx, ref: DomainRef): Promise<DomainRow> {
  if (!ref.id && !ref.name) throw authFailed();
  const domain = await findDomain(db, ref);
  if (!domain?.enabled) throw authFailed();
  return domain;
}

/** The roles a user effectively holds on a project or domain (implied roles included), as the token lists them. */
export async function rolesOn(db: DbOrTx, userId: string, targetType: TargetType, targetId: string): Promise<Array<{ id: string; name: string }>> {
  const { effective, roles } = await effectiveForUser(db, userId);
  return rolesOnTarget(effective, userId, targetType, targetId).map((id) => ({ id, name: roles.get(id)?.name ?? id }));
}
