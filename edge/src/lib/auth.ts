import type { Context, MiddlewareHandler } from "hono";
import { forbidden, unauthorized } from "./errors.js";
import type { AppEnv, AuthContext } from "./context.js";
import { hasRole, type Role } from "./policy.js";
import type { TokenClaims } from "./token.js";

export function authContextOf(claims: TokenClaims): AuthContext {
  const roles = claims.roles.map((r) => r.name);
  // A project- or system-scoped token makes its holder an admin: an admin role on a domain stays there.
  return { claims, userId: claims.uid, projectId: claims.pid, roles, isAdmin: !!(claims.pid || claims.sys) && hasRole(roles, "admin") };
}

/** Validates X-Auth-Token from the token and the cached revocation list and events (no per-request read). */
export function authenticate(): MiddlewareHandler<AppEnv> {
  return async function authenticate(c, next) {
    const token = c.req.header("X-Auth-Token");
    if (!token) throw unauthorized();
    const claims = await c.var.deps.tokens.open(token);
    if (!claims || (await c.var.deps.revocations.isRevoked(claims))) throw unauthorized("The request you have made requires authentication.");
    c.set("auth", authContextOf(claims));
    await next();
  };
}

/**
 * Route guard: the caller needs `role` (implied roles count) and a project scope, except that a
 * system-scoped admin passes the admin guards (the cloud-wide APIs) without a project.
 */
export function requireRole(role: Role): MiddlewareHandler<AppEnv> {
  return async function requireRole(c, next) {
    const auth = c.var.auth;
    if (!auth) throw unauthorized();
    if (!hasRole(auth.roles, role)) throw forbidden(`Policy does not allow this operation: it needs the ${role} role.`);
    if (!auth.projectId && !(auth.isAdmin && role === "admin")) throw forbidden("A project-scoped token is required.");
    await next();
  };
}

/** Route guard: callers for whom `allowed` holds, or else callers with `role`. */
export function requireRoleOr(role: Role, allowed: (c: Context<AppEnv>) => boolean): MiddlewareHandler<AppEnv> {
  const guard = requireRole(role);
  return async function requireRoleOr(c, next) {
    if (c.var.auth && allowed(c)) return next();
    return guard(c, next);
  };
}

/** Route guard: the user named by the path parameter `param` themself, or a caller with `role`. */
export function requireSelfOrRole(role: Role, param = "id"): MiddlewareHandler<AppEnv> {
  return requireRoleOr(role, (c) => c.var.auth.userId === c.req.param(param));
}

/** The caller's project; handlers use it to scope every query. */
export function callerProject(c: Context<AppEnv>): string {
  const pid = c.var.auth.projectId;
  if (!pid) throw forbidden("A project-scoped token is required.");
  return pid;
}

export const reader = () => requireRole("reader");
export const member = () => requireRole("member");
export const admin = () => requireRole("admin");
