import { and, eq } from "drizzle-orm";
import type { DbOrTx } from "../../db/client.js";
import { applicationCredentials, domains, users } from "../../db/schema.js";
import { ApiError } from "../../lib/errors.js";
import { verifyPassword } from "../../lib/password.js";
import { verifySecret } from "../app-creds/secret.js";
import type { AuthRequest, DomainRef, UserRef } from "../auth-request.js";

export const authFailed = () => new ApiError(401, "The request you have made requires authentication.", "Unauthorized");

/** Who authenticated: the user's id, name, domain id and domain name. */
export interface Identity { uid: string; uname: string; udom: string; udn: string; defaultProjectId: string | null }

export type DomainRow = typeof domains.$inferSelect;
type UserRow = typeof users.$inferSelect;
export type AppCredRow = typeof applicationCredentials.$inferSelect;

/** The domain a reference names; null when there is none (a name or id that matches nothing). */
export async function findDomain(db: DbOrTx, d?: DomainRef): Promise<DomainRow | null> {
  const where = d?.id ? eq(domains.id, d.id) : d?.name ? eq(domains.name, d.name) : eq(domains.id, "default");
  return (await db.select().from(domains).where(where).limit(1))[0] ?? null;
}

/** The user a reference names (by id, or by name within a domain), or null. */
async function findUser(db: DbOrTx, ref: UserRef): Promise<UserRow | null> {
  if (ref.id) return (await db.select().from(users).where(eq(users.id, ref.id)).limit(1))[0] ?? null;
  const domain = await findDomain(db, ref.domain);
  if (!domain || !ref.name) return null;
  return (await db.select().from(users).where(and(eq(users.name, ref.name), eq(users.domainId, domain.id))).limit(1))[0] ?? null;
}

/** An enabled user in an enabled domain, as an Identity; anything else fails authentication. */
async function identityOf(db: DbOrTx, user: UserRow | null): Promise<Identity> {
  if (!user || !user.enabled) throw authFailed();
  const domain = await findDomain(db, { id: user.domainId });
  if (!domain?.enabled) throw authFailed();
  return { uid: user.id, uname: user.name, udom: user.domainId, udn: domain.name, defaultProjectId: user.defaultProjectId };
}

type Methods = AuthRequest["auth"]["identity"];

export async function passwordIdentity(db: DbOrTx, p: NonNullable<Methods["password"]>): Promise<Identity> {
  const user = await findUser(db, p.user);
  if (!user || !(await verifyPassword(p.user.password, user.passwordHash))) throw authFailed();
  return identityOf(db, user);
}

/** The identity behind a token that is being rescoped. */
export async function tokenIdentity(db: DbOrTx, uid: string): Promise<Identity> {
  return identityOf(db, (await db.select().from(users).where(eq(users.id, uid)).limit(1))[0] ?? null);
}

/** An application credential, named by id or by name and user, with its secret; unexpired. */
export async function appCredIdentity(db: DbOrTx, ac: NonNullable<Methods["application_credential"]>, nowMs: number) {
  let cred: AppCredRow | undefined;
  if (ac.id) {
    cred = (await db.select().from(applicationCredentials).where(eq(applicationCredentials.id, ac.id)).limit(1))[0];
  } else if (ac.name && ac.user) {
    const user = await findUser(db, ac.user);
    const where = user ? and(eq(applicationCredentials.userId, user.id), eq(applicationCredentials.name, ac.name)) : undefined;
    cred = where && (await db.select().from(applicationCredentials).where(where).limit(1))[0];
  } else {
    throw new ApiError(400, "An application credential needs an id, or a name and a user.", "ValidationError");
  }
  if (!cred || !(await verifySecret(ac.secret, cred.secretHash))) throw authFailed();
  if (cred.expiresAtMs !== null && cred.expiresAtMs <= nowMs) throw authFailed();
  const who = await identityOf(db, (await db.select().from(users).where(eq(users.id, cred.userId)).limit(1))[0] ?? null);
  return { who, cred };
}
