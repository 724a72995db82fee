import type { RevocationMatch } from "../../lib/revocations.js";
import { descendants, type Grant, type ProjectNode } from "./engine.js";

/**
 * The revocation events that cover every token a removed grant may have contributed roles to:
 * per affected user, the project (or each project below an inherited grant's project) or the
 * domain. A system grant reaches system-scoped tokens, which events cannot single out: it revokes
 * all of each affected user's tokens.
 */
export function revocationsForGrant(g: Grant, userIds: string[], projects: ProjectNode[]): RevocationMatch[] {
  if (g.targetType === "system") return userIds.map((userId) => ({ userId }));
  const out: RevocationMatch[] = [];
  for (const userId of userIds) {
    if (g.targetType === "domain") out.push({ userId, domainId: g.targetId });
    else if (!g.inherited) out.push({ userId, projectId: g.targetId });
    else for (const p of descendants(projects, g.targetId)) out.push({ userId, projectId: p.id });
  }
  return out;
}
