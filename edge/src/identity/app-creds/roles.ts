/** A role named by id or by name in a request body. */
export type RoleRef = { id?: string; name?: string };

/**
 * The roles an application credential gets: by default every role `held`, else the ones asked for,
 * each of which must be held. Returns the ids, or the first reference that is not held.
 */
export function chooseRoles(requested: RoleRef[] | undefined, held: Array<{ id: string; name: string }>): { ids: string[] } | { missing: RoleRef } {
  if (!requested || requested.length === 0) return { ids: held.map((r) => r.id) };
  const ids: string[] = [];
  for (const ref of requested) {
    const role = held.find((r) => (ref.id ? r.id === ref.id : r.name === ref.name));
    if (!role) return { missing: ref };
    if (!ids.includes(role.id)) ids.push(role.id);
  }
  return { ids };
}
