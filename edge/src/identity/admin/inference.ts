import type { Role } from "../../lib/policy.js";

/** The seeded roles: policy depends on their names, so (like Keystone's bootstrap) they are immutable. */
const SEEDED: ReadonlySet<string> = new Set<Role>(["admin", "member", "reader"]);
export const isImmutableRole = (name: string) => SEEDED.has(name);

/** Keystone's default inference rules, the chain lib/policy.ts enforces: admin ⊃ member ⊃ reader. */
export const ROLE_INFERENCES: ReadonlyArray<{ prior: Role; implies: Role }> = [
  { prior: "admin", implies: "member" },
  { prior: "member", implies: "reader" },
];

/** The roles a role implies, transitively, nearest first (none for roles outside the chain). */
export function impliedNames(name: string): string[] {
  const out: string[] = [];
  for (let r = name; ; ) {
    const next = ROLE_INFERENCES.find((i) => i.prior === r)?.implies;
    if (!next || out.includes(next)) return out;
    out.push((r = next));
  }
}


/** A user's role on a project; `priorRoleId` is set when the role is implied by that assigned role. */
export interface Assignment { userId: string; projectId: string; roleId: string; priorRoleId?: string }

/**
 * Keystone's effective mode: every assignment also yields the roles its role implies. A direct
 * assignment wins over an implied duplicate, and an implied role points at the assignment that
 * really exists.
 */
export function expandImplied(direct: Assignment[], roles: Array<{ id: string; name: string }>): Assignment[] {
  const byName = new Map(roles.map((r) => [r.name, r]));
  const byId = new Map(roles.map((r) => [r.id, r]));
  const seen = new Set<string>();
  const out: Assignment[] = [];
  const add = (a: Assignment) => {
    const key = `${a.userId}|${a.projectId}|${a.roleId}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(a);
  };
  for (const a of direct) add(a);
  for (const a of direct) {
    for (const name of impliedNames(byId.get(a.roleId)?.name ?? "")) {
      const implied = byName.get(name);
      if (implied) add({ userId: a.userId, projectId: a.projectId, roleId: implied.id, priorRoleId: a.roleId });
    }
  }
  return out;
}
