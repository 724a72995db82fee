import type { applicationCredentials } from "../../db/schema.js";

export type AppCredRow = typeof applicationCredentials.$inferSelect;
type RoleInfo = { id: string; name: string; domainId: string | null };

/** Keystone's application credential body; the secret is only ever added to the create response. */
export function appCredView(a: AppCredRow, roles: Map<string, RoleInfo>, base: string) {
  return {
    id: a.id, name: a.name, description: a.description, user_id: a.userId, project_id: a.projectId,
    roles: a.roleIds.map((id) => ({ id, name: roles.get(id)?.name ?? id, domain_id: roles.get(id)?.domainId ?? null })),
    expires_at: a.expiresAt, unrestricted: a.unrestricted, access_rules: [],
    links: { self: `${base}/users/${a.userId}/application_credentials/${a.id}` },
  };
}
