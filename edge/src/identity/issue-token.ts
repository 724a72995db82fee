import { and, eq } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { domains, projects, roleAssignments, roles, users } from "../db/schema.js";
import type { Deps } from "../lib/context.js";
import { ApiError } from "../lib/errors.js";
import { verifyPassword } from "../lib/password.js";
import type { TokenClaims } from "../lib/token.js";
import type { AuthRequest } from "./auth-request.js";

const authFailed = () => new ApiError(401, "The request you have made requires authentication.", "Unauthorized");

type Identity = Pick<TokenClaims, "uid" | "uname" | "udom">;
type DomainRef = { id?: string; name?: string };

async function domainIdOf(db: Db, d?: DomainRef): Promise<string> {
  if (d?.id) return d.id;
  if (!d?.name) return "default";
  const row = (await db.select({ id: domains.id }).from(domains).where(eq(domains.name, d.name)).limit(1))[0];
  return row?.id ?? d.name;
}

/** A missing domain row counts as enabled: the check only refuses explicitly disabled domains. */
async function domainEnabled(db: Db, id: string): Promise<boolean> {
  const row = (await db.select({ enabled: domains.enabled }).from(domains).where(eq(domains.id, id)).limit(1))[0];
  return row?.enabled ?? true;
}

async function passwordIdentity(db: Db, p: NonNullable<AuthRequest["auth"]["identity"]["password"]>): Promise<Identity> {
  const { user } = p;
  const where = user.id ? eq(users.id, user.id) : and(eq(users.name, user.name ?? ""), eq(users.domainId, await domainIdOf(db, user.domain)));
  const row = (await db.select().from(users).where(where).limit(1))[0];
  if (!row || !row.enabled || !(await verifyPassword(user.password, row.passwordHash))) throw authFailed();
  if (!(await domainEnabled(db, row.domainId))) throw authFailed();
  return { uid: row.id, uname: row.name, udom: row.domainId };
}

async function resolveProject(db: Db, scope: { id?: string; name?: string; domain?: DomainRef }) {
  const where = scope.id ? eq(projects.id, scope.id) : and(eq(projects.name, scope.name ?? ""), eq(projects.domainId, await domainIdOf(db, scope.domain)));
  const row = (await db.select().from(projects).where(where).limit(1))[0];
  if (!row || !row.enabled || !(await domainEnabled(db, row.domainId))) throw authFailed();
  return row;
}

async function rolesOn(db: Db, userId: string, projectId: string) {
  return db
    .select({ id: roles.id, name: roles.name })
    .from(roleAssignments)
    .innerJoin(roles, eq(roles.id, roleAssignments.roleId))
    .where(and(eq(roleAssignments.userId, userId), eq(roleAssignments.projectId, projectId)));
}

/**
 * Authenticates a Keystone auth request and returns the sealed token and its claims. The token's
 * issue time is taken before any read, so a revocation event committed after a read this token
 * relied on always covers it.
 */
export async function issueToken(deps: Pick<Deps, "db" | "tokens" | "revocations">, req: AuthRequest, ttlSeconds: number) {
  const { db, tokens: codec, revocations } = deps;
  const issuedAt = Date.now();
  const { identity, scope } = req.auth;
  let who: Identity;
  let methods: string[] = identity.methods;
  let expiresAt = issuedAt + ttlSeconds * 1000;
  if (identity.methods.includes("password") && identity.password) {
    who = await passwordIdentity(db, identity.password);
  } else if (identity.methods.includes("token") && identity.token) {
    const prior = await codec.open(identity.token.id);
    if (!prior || (await revocations.isRevoked(prior, { fresh: true }))) throw authFailed();
    who = { uid: prior.uid, uname: prior.uname, udom: prior.udom };
    methods = prior.methods;
    expiresAt = prior.exp; // a rescoped token never outlives the one it came from
  } else {
    throw new ApiError(400, "Expecting to find a supported identity method in the request.", "ValidationError");
  }
  const claims: TokenClaims = { ...who, roles: [], methods, iat: issuedAt, exp: expiresAt, audit: crypto.randomUUID().replace(/-/g, "").slice(0, 22) };
  if (scope && scope !== "unscoped" && scope.project) {
    const project = await resolveProject(db, scope.project);
    const granted = await rolesOn(db, who.uid, project.id);
    if (granted.length === 0) throw authFailed();
    Object.assign(claims, { pid: project.id, pname: project.name, pdom: project.domainId, roles: granted });
  }
  return { token: await codec.seal(claims), claims };
}
