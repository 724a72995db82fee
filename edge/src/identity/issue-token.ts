import { and, eq } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { projects, roleAssignments, roles, users } from "../db/schema.js";
import { ApiError } from "../lib/errors.js";
import { verifyPassword } from "../lib/password.js";
import type { TokenClaims, TokenCodec } from "../lib/token.js";
import type { AuthRequest } from "./auth-request.js";

const authFailed = () => new ApiError(401, "The request you have made requires authentication.", "Unauthorized");

type Identity = Pick<TokenClaims, "uid" | "uname" | "udom">;
const domainIdOf = (d?: { id?: string; name?: string }) => d?.id ?? (d?.name && d.name !== "Default" ? d.name : "default");

async function passwordIdentity(db: Db, p: NonNullable<AuthRequest["auth"]["identity"]["password"]>): Promise<Identity> {
  const { user } = p;
  const where = user.id ? eq(users.id, user.id) : and(eq(users.name, user.name ?? ""), eq(users.domainId, domainIdOf(user.domain)));
  const row = (await db.select().from(users).where(where).limit(1))[0];
  if (!row || !row.enabled || !(await verifyPassword(user.password, row.passwordHash))) throw authFailed();
  return { uid: row.id, uname: row.name, udom: row.domainId };
}

async function resolveProject(db: Db, scope: { id?: string; name?: string; domain?: { id?: string; name?: string } }) {
  const where = scope.id ? eq(projects.id, scope.id) : and(eq(projects.name, scope.name ?? ""), eq(projects.domainId, domainIdOf(scope.domain)));
  const row = (await db.select().from(projects).where(where).limit(1))[0];
  if (!row || !row.enabled) throw authFailed();
  return row;
}

async function rolesOn(db: Db, userId: string, projectId: string) {
  return db
    .select({ id: roles.id, name: roles.name })
    .from(roleAssignments)
    .innerJoin(roles, eq(roles.id, roleAssignments.roleId))
    .where(and(eq(roleAssignments.userId, userId), eq(roleAssignments.projectId, projectId)));
}

/** Authenticates a Keystone auth request and returns the sealed token and its claims. */
export async function issueToken(db: Db, codec: TokenCodec, req: AuthRequest, ttlSeconds: number) {
  const { identity, scope } = req.auth;
  let who: Identity;
  let methods: string[] = identity.methods;
  let expiresAt = Date.now() + ttlSeconds * 1000;
  if (identity.methods.includes("password") && identity.password) {
    who = await passwordIdentity(db, identity.password);
  } else if (identity.methods.includes("token") && identity.token) {
    const prior = await codec.open(identity.token.id);
    if (!prior) throw authFailed();
    who = { uid: prior.uid, uname: prior.uname, udom: prior.udom };
    methods = prior.methods;
    expiresAt = prior.exp; // a rescoped token never outlives the one it came from
  } else {
    throw new ApiError(400, "Expecting to find a supported identity method in the request.", "ValidationError");
  }
  const claims: TokenClaims = { ...who, roles: [], methods, iat: Date.now(), exp: expiresAt, audit: crypto.randomUUID().replace(/-/g, "").slice(0, 22) };
  if (scope && scope !== "unscoped" && scope.project) {
    const project = await resolveProject(db, scope.project);
    const granted = await rolesOn(db, who.uid, project.id);
    if (granted.length === 0) throw authFailed();
    Object.assign(claims, { pid: project.id, pname: project.name, pdom: project.domainId, roles: granted });
  }
  return { token: await codec.seal(claims), claims };
}
