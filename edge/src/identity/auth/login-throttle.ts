import { and, eq, sql } from "drizzle-orm";
import type { DbOrTx } from "../../db/client.js";
import { loginAttempts } from "../../db/schema.js";
import { ApiError } from "../../lib/errors.js";
import type { UserRef } from "../auth-request.js";
import { afterFailure, DEFAULT_LOGIN_POLICY, isLocked, type WindowPolicy } from "./login-window.js";

export const tooManyAttempts = () =>
  new ApiError(429, "Too many failed authentication attempts for this user: try again later.", "TooManyRequests");

/** The key failures are counted under: the user's id, or their name within the domain named. */
export function userKeyOf(ref: UserRef): string {
  if (ref.id) return `id:${ref.id}`;
  const d = ref.domain?.id ? `id:${ref.domain.id}` : ref.domain?.name ? `name:${ref.domain.name}` : "id:default";
  return `name:${d}/${ref.name ?? ""}`;
}

/**
 * Failed password logins per user and source, kept in the database so every edge instance sees
 * them. Only a failure writes; a success deletes the row if there is one.
 */
export class LoginThrottle {
  constructor(private readonly policy: WindowPolicy = DEFAULT_LOGIN_POLICY, private readonly now: () => number = () => Date.now()) {}

  /** Runs `attempt` unless the caller is locked out (429), counting it if it fails with 401. */
  async guard<T>(db: DbOrTx, ref: UserRef, source: string, attempt: () => Promise<T>): Promise<T> {
    const userKey = userKeyOf(ref);
    const where = and(eq(loginAttempts.userKey, userKey), eq(loginAttempts.source, source));
    const row = (await db.select().from(loginAttempts).where(where).limit(1))[0];
    if (isLocked(row, this.now(), this.policy)) throw tooManyAttempts();
    try {
      const result = await attempt();
      if (row) await db.delete(loginAttempts).where(where);
      return result;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) await this.recordFailure(db, userKey, source);
      throw err;
    }
  }

  private async recordFailure(db: DbOrTx, userKey: string, source: string): Promise<void> {
    const now = this.now();
    const { windowMs } = this.policy;
    // One statement, so concurrent failures from other instances are all counted.
    await db.insert(loginAttempts).values({ userKey, source, ...afterFailure(undefined, now, this.policy) }).onConflictDoUpdate({
      target: [loginAttempts.userKey, loginAttempts.source],
      set: {
        failures: sql`case when ${now} - ${loginAttempts.windowStart} < ${windowMs} then ${loginAttempts.failures} + 1 else 1 end`,
        windowStart: sql`case when ${now} - ${loginAttempts.windowStart} < ${windowMs} then ${loginAttempts.windowStart} else ${now} end`,
      },
    });
  }
}
