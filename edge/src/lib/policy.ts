/** Roles imply each other: admin ⊃ member ⊃ reader. */
export type Role = "reader" | "member" | "admin";

const rank: Record<Role, number> = { reader: 1, member: 2, admin: 3 };

/** Expands role names to everything they imply. */
export function effectiveRoles(names: string[]): Set<Role> {
  const top = Math.max(0, ...names.map((n) => rank[n as Role] ?? 0));
  return new Set((Object.keys(rank) as Role[]).filter((r) => rank[r] <= top));
}

export function hasRole(names: string[], needed: Role): boolean {
  return effectiveRoles(names).has(needed);
}
