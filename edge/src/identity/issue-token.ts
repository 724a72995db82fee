import type { Deps } from "../lib/context.js";
import { ApiError, badRequest, forbidden } from "../lib/errors.js";
import type { TokenClaims } from "../lib/token.js";
import type { AuthRequest } from "./auth-request.js";
import { appCredIdentity, authFailed, passwordIdentity, tokenIdentity, type AppCredRow, type Identity } from "./auth/identify.js";
import { LoginThrottle } from "./auth/login-throttle.js";
import { resolveDomain, resolveProject, rolesOn } from "./auth/scope.js";

type Db = Deps["db"];
type ScopeBody = Exclude<NonNullable<AuthRequest["auth"]["scope"]>, "unscoped">;

/** Scopes the claims to a project the user holds roles on; fails authentication otherwise. */
async function scopeToProject(db: Db, claims: TokenClaims, ref: NonNullable<ScopeBody["project"]>) {
  const { project, domain } = await resolveProject(db, ref);
  const roles = await rolesOn(db, claims.uid, "project", project.id);
  if (roles.length === 0) throw authFailed();
  Object.assign(claims, { pid: project.id, pname: project.name, pdom: project.domainId, pdn: domain.name, roles });
}

async function scopeToDomain(db: Db, claims: TokenClaims, ref: NonNullable<ScopeBody["domain"]>) {
  const domain = await resolveDomain(db, ref);
  const roles = await rolesOn(db, claims.uid, "domain", domain.id);
  if (roles.length === 0) throw authFailed();
  Object.assign(claims, { did: domain.id, dname: domain.name, roles });
}

/** Scopes the claims to the system: the user needs a role on it, directly or through a group. */
async function scopeToSystem(db: Db, claims: TokenClaims) {
  const roles = await rolesOn(db, claims.uid, "system", "system");
  if (roles.length === 0) throw authFailed();
  Object.assign(claims, { sys: true, roles });
}

/** An application credential's token: its project, and its roles as long as the user still holds them all. */
async function scopeToAppCred(db: Db, claims: TokenClaims, cred: AppCredRow) {
  const { project, domain } = await resolveProject(db, { id: cred.projectId });
  const held = new Map((await rolesOn(db, claims.uid, "project", project.id)).map((r) => [r.id, r]));
  if (!cred.roleIds.every((id) => held.has(id))) throw authFailed();
  Object.assign(claims, {
    pid: project.id, pname: project.name, pdom: project.domainId, pdn: domain.name, roles: cred.roleIds.map((id) => held.get(id)!),
    acid: cred.id, acname: cred.name, acr: !cred.unrestricted, exp: Math.min(claims.exp, cred.expiresAtMs ?? Infinity),
  });
}

/**
 * Authenticates a Keystone auth request and returns the sealed token and its claims. The token's
 * issue time is taken before any read, so a revocation event committed after a read this token
 * relied on always covers it.
 */
const defaultThrottle = new LoginThrottle();

/** Where a login comes from, and the failed-login limiter to apply (the default one unless given). */
export interface LoginSource { address: string; throttle?: LoginThrottle }

export async function issueToken(deps: Pick<Deps, "db" | "tokens" | "revocations">, req: AuthRequest, ttlSeconds: number, source: LoginSource = { address: "unknown" }) {
  const { db, tokens: codec, revocations } = deps;
  const issuedAt = Date.now();
  const { identity, scope } = req.auth;
  let who: Identity;
  let methods: string[];
  let expiresAt = issuedAt + ttlSeconds * 1000;
  let chain: string | undefined;
  let cred: AppCredRow | undefined;
  if (identity.methods.includes("application_credential") && identity.application_credential) {
    if (scope) throw authFailed(); // the credential carries its own scope
    ({ who, cred } = await appCredIdentity(db, identity.application_credential, issuedAt));
    methods = ["application_credential"];
  } else if (identity.methods.includes("password") && identity.password) {
    const password = identity.password;
    who = await (source.throttle ?? defaultThrottle).guard(db, password.user, source.address, () => passwordIdentity(db, password));
    methods = ["password"];
  } else if (identity.methods.includes("token") && identity.token) {
    const prior = await codec.open(identity.token.id);
    // As Keystone: a token that is not (or no longer) valid is not found.
    if (!prior || (await revocations.isRevoked(prior, { fresh: true }))) throw new ApiError(404, "Could not find token.", "TokenNotFound");
    if (prior.acid) throw forbidden("A token issued for an application credential cannot be rescoped.");
    who = await tokenIdentity(db, prior.uid);
    methods = [...new Set([...prior.methods, "token"])];
    expiresAt = prior.exp; // a rescoped token never outlives the one it came from
    chain = prior.chain ?? prior.audit;
  } else {
    throw new ApiError(400, "Expecting to find a supported identity method in the request.", "ValidationError");
  }
  const claims: TokenClaims = {
    uid: who.uid, uname: who.uname, udom: who.udom, udn: who.udn, roles: [], methods, iat: issuedAt, exp: expiresAt,
    audit: crypto.randomUUID().replace(/-/g, "").slice(0, 22), ...(chain ? { chain } : {}),
  };
  const explicit = scope && scope !== "unscoped" ? scope : undefined;
  if ([explicit?.project, explicit?.domain, explicit?.system].filter(Boolean).length > 1) {
    throw badRequest("Specify only one of a project, a domain or a system scope.", "ValidationError");
  }
  if (cred) await scopeToAppCred(db, claims, cred);
  else if (explicit?.project) await scopeToProject(db, claims, explicit.project);
  else if (explicit?.domain) await scopeToDomain(db, claims, explicit.domain);
  else if (explicit?.system) await scopeToSystem(db, claims);
  else if (!scope && methods[0] === "password" && who.defaultProjectId) {
    // As Keystone: no scope asked for means the default project, if the user may use it.
    await scopeToProject(db, claims, { id: who.defaultProjectId }).catch((err) => {
      if (!(err instanceof ApiError && err.status === 401)) throw err;
    });
  }
  return { token: await codec.seal(claims), claims };
}
