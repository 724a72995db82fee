import type { AuthContext } from "../../lib/context.js";
import { ApiError } from "../../lib/errors.js";
import { setExtras, extrasOf } from "../server-extras.js";
import { findServer } from "../servers.js";
import type { Caller } from "./host-action.js";
import { recordAction } from "./instance-actions.js";

const lockedBy = (auth: AuthContext) => (auth.isAdmin ? "admin" : "owner");

/** Locks a server against changes by non-admins (Nova's os-lock-server); no host involved. */
export async function lockServer(who: Caller, id: string, reason: string | null) {
  const s = await findServer(who.deps.db, who.auth, id);
  await setExtras(who.deps.db, s.id, { locked: true, lockedBy: lockedBy(who.auth), lockedReason: reason });
  await recordAction(who.deps.db, { serverId: s.id, projectId: s.projectId, action: "lock", requestId: who.requestId, userId: who.auth.userId });
}

/** Unlocks; a lock an admin set may be lifted by an admin only (Nova's unlock_override policy). */
export async function unlockServer(who: Caller, id: string) {
  const s = await findServer(who.deps.db, who.auth, id);
  const extras = (await extrasOf(who.deps.db, [s.id])).get(s.id)!;
  if (extras.locked && extras.lockedBy === "admin" && !who.auth.isAdmin) {
    throw new ApiError(403, "Policy doesn't allow os_compute_api:os-lock-server:unlock:unlock_override to be performed.");
  }
  await setExtras(who.deps.db, s.id, { locked: false, lockedBy: null, lockedReason: null });
  await recordAction(who.deps.db, { serverId: s.id, projectId: s.projectId, action: "unlock", requestId: who.requestId, userId: who.auth.userId });
}
