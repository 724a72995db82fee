import { and, eq, type SQL } from "drizzle-orm";
import { Hono } from "hono";
import { assignments, users } from "../../db/schema.js";
import { authenticate, requireRole, requireSelfOrRole } from "../../lib/auth.js";
import type { AppEnv } from "../../lib/context.js";
import { badRequest, unauthorized } from "../../lib/errors.js";
import { hashPassword, verifyPassword } from "../../lib/password.js";
import { collectionLinks, duplicateOf, newId, parseBody, parseBool, revokeTokens, storeUnique, v3Base } from "./common.js";
import { nextHistory, reusesRecent, UNIQUE_LAST_PASSWORDS } from "./password-history.js";
import { passwordChange, userCreate, userExtras, userUpdate } from "./schemas.js";
import { getDomain, getUser, projectsOfUser } from "./store.js";
import { projectView, userView } from "./views.js";

const duplicate = (name: string, domainId: string) => duplicateOf("user", `Duplicate entry found with name ${name} at domain ID ${domainId}.`);

/** A user without a password cannot authenticate: the empty hash never verifies. */
const hashOrNone = (password: string | null | undefined) => (password ? hashPassword(password) : Promise.resolve(""));

function listFilters(q: Record<string, string>): SQL[] {
  const conds: SQL[] = [];
  if (q.name !== undefined) conds.push(eq(users.name, q.name));
  if (q.domain_id !== undefined) conds.push(eq(users.domainId, q.domain_id));
  if (q.enabled !== undefined) conds.push(eq(users.enabled, parseBool(q.enabled)));
  return conds;
}

/**
 * Keystone v3 users: CRUD for admins; a user may read their own record, list their own projects
 * and change their own password. Disabling, deleting or a new password revokes the user's tokens.
 */
export function userRoutes() {
  const app = new Hono<AppEnv>();

  app.post("/users", authenticate(), requireRole("admin"), async (c) => {
    const { db } = c.var.deps;
    const { user: u } = await parseBody(c, userCreate);
    const domainId = u.domain_id ?? c.var.auth.claims.pdom ?? "default";
    await getDomain(db, domainId);
    const values = {
      id: newId(), name: u.name, domainId, passwordHash: await hashOrNone(u.password), enabled: u.enabled ?? true,
      defaultProjectId: u.default_project_id ?? null, extra: userExtras(u),
    };
    const [row] = await storeUnique(() => db.insert(users).values(values).returning(), () => duplicate(u.name, domainId));
    return c.json({ user: userView(row, v3Base(c)) }, 201);
  });

  app.get("/users", authenticate(), requireRole("admin"), async (c) => {
    const rows = await c.var.deps.db.select().from(users).where(and(...listFilters(c.req.query()))).orderBy(users.name);
    return c.json({ users: rows.map((u) => userView(u, v3Base(c))), links: collectionLinks(c) });
  });

  app.get("/users/:id", authenticate(), requireSelfOrRole("admin"), async (c) => {
    return c.json({ user: userView(await getUser(c.var.deps.db, c.req.param("id")), v3Base(c)) });
  });

  app.patch("/users/:id", authenticate(), requireRole("admin"), async (c) => {
    const { db } = c.var.deps;
    const current = await getUser(db, c.req.param("id"));
    const { user: u } = await parseBody(c, userUpdate);
    if (u.domain_id != null && u.domain_id !== current.domainId) throw badRequest("Cannot change Domain ID.", "ValidationError");
    const set = {
      name: u.name, enabled: u.enabled, updatedAt: new Date().toISOString(),
      passwordHash: u.password !== undefined ? await hashOrNone(u.password) : undefined,
      passwordHistory: u.password !== undefined ? nextHistory(current.passwordHistory, current.passwordHash) : undefined,
      defaultProjectId: u.default_project_id !== undefined ? u.default_project_id : undefined,
      extra: { ...current.extra, ...userExtras(u) },
    };
    const [row] = await storeUnique(() => db.update(users).set(set).where(eq(users.id, current.id)).returning(), () => duplicate(u.name ?? "", current.domainId));
    if ((current.enabled && !row.enabled) || u.password !== undefined) await revokeTokens(c, { userId: row.id });
    return c.json({ user: userView(row, v3Base(c)) });
  });

  app.delete("/users/:id", authenticate(), requireRole("admin"), async (c) => {
    const { db } = c.var.deps;
    const current = await getUser(db, c.req.param("id"));
    await db.transaction(async (tx) => {
      await tx.delete(assignments).where(and(eq(assignments.actorType, "user"), eq(assignments.actorId, current.id)));
      await tx.delete(users).where(eq(users.id, current.id)); // memberships and application credentials go with it
    }, { behavior: "immediate" });
    await revokeTokens(c, { userId: current.id });
    return c.body(null, 204);
  });

  // As in Keystone, the original password is the credential: no token is needed (an expired or
  // revoked one must not stop a user from changing a password), and any failure is a 401.
  app.post("/users/:id/password", async (c) => {
    const { db } = c.var.deps;
    const { user: body } = await parseBody(c, passwordChange);
    const row = (await db.select().from(users).where(eq(users.id, c.req.param("id"))).limit(1))[0];
    if (!row || !row.enabled || !(await verifyPassword(body.original_password, row.passwordHash))) {
      throw unauthorized("The request you have made requires authentication.");
    }
    // Only the self-service change enforces the history; an admin reset does not (as Keystone).
    if (await reusesRecent(body.password, row.passwordHash, row.passwordHistory)) {
      throw badRequest(`The new password cannot be identical to a previous password. The total number which includes the new password must be unique is ${UNIQUE_LAST_PASSWORDS}.`, "PasswordValidationError");
    }
    const set = { passwordHash: await hashPassword(body.password), passwordHistory: nextHistory(row.passwordHistory, row.passwordHash), updatedAt: new Date().toISOString() };
    await db.update(users).set(set).where(eq(users.id, row.id));
    await revokeTokens(c, { userId: row.id });
    return c.body(null, 204);
  });

  app.get("/users/:id/projects", authenticate(), requireSelfOrRole("admin"), async (c) => {
    const { db } = c.var.deps;
    const user = await getUser(db, c.req.param("id"));
    const { name, domain_id, enabled } = c.req.query();
    const rows = (await projectsOfUser(db, user.id)).filter(
      (p) => (name === undefined || p.name === name) && (domain_id === undefined || p.domainId === domain_id) && (enabled === undefined || p.enabled === parseBool(enabled)),
    );
    return c.json({ projects: rows.map((p) => projectView(p, v3Base(c))), links: collectionLinks(c) });
  });

  return app;
}
