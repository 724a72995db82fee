import { and, eq, inArray } from "drizzle-orm";
import { Hono } from "hono";
import { applicationCredentials, roles } from "../../db/schema.js";
import { authenticate, requireSelfOrRole } from "../../lib/auth.js";
import type { AppEnv } from "../../lib/context.js";
import { badRequest, forbidden } from "../../lib/errors.js";
import { collectionLinks, duplicateOf, newId, notFoundOf, parseBody, revokeTokens, storeUnique, v3Base, type Ctx } from "../admin/common.js";
import { getUser } from "../admin/store.js";
import { rolesOn } from "../auth/scope.js";
import { chooseRoles } from "./roles.js";
import { appCredCreate } from "./schemas.js";
import { newSecret, parseExpiry } from "./secret.js";
import { appCredView, type AppCredRow } from "./views.js";

const PATH = "/users/:user_id/application_credentials";

/** A token from a restricted application credential may not manage application credentials. */
function refuseRestricted(c: Ctx) {
  if (c.var.auth.claims.acr) throw forbidden("A restricted application credential cannot manage application credentials.");
}

async function viewsOf(c: Ctx, rows: AppCredRow[]) {
  const ids = [...new Set(rows.flatMap((r) => r.roleIds))];
  const found = ids.length ? await c.var.deps.db.select({ id: roles.id, name: roles.name, domainId: roles.domainId }).from(roles).where(inArray(roles.id, ids)) : [];
  const byId = new Map(found.map((r) => [r.id, r]));
  return rows.map((r) => appCredView(r, byId, v3Base(c)));
}

async function getAppCred(c: Ctx) {
  const { db } = c.var.deps;
  const userId = c.req.param("user_id")!;
  const id = c.req.param("id")!;
  const row = (await db.select().from(applicationCredentials).where(and(eq(applicationCredentials.id, id), eq(applicationCredentials.userId, userId))).limit(1))[0];
  if (!row) throw notFoundOf("application credential", id);
  return row;
}

/**
 * Keystone's application credentials. Only the user creates them, from a project-scoped token and
 * with a subset of that token's roles; the secret is shown once and only its hash is kept.
 */
export function appCredRoutes() {
  const app = new Hono<AppEnv>();
  const ownerOrAdmin = [authenticate(), requireSelfOrRole("admin", "user_id")] as const;

  app.post(PATH, authenticate(), async (c) => {
    const { auth } = c.var;
    if (auth.userId !== c.req.param("user_id")) throw forbidden("Application credentials can only be created by their user.");
    refuseRestricted(c);
    if (!auth.projectId) throw forbidden("A project-scoped token is required.");
    const { application_credential: a } = await parseBody(c, appCredCreate);
    // By default the token's roles; roles asked for are checked against what the user holds now.
    const held = a.roles?.length ? await rolesOn(c.var.deps.db, auth.userId, "project", auth.projectId) : auth.claims.roles;
    const chosen = chooseRoles(a.roles, held);
    if ("missing" in chosen) throw notFoundOf("role assignment", `role ${chosen.missing.id ?? chosen.missing.name} for user ${auth.userId} on project ${auth.projectId}`);
    const expiry = a.expires_at ? parseExpiry(a.expires_at) : null;
    if (a.expires_at && !expiry) throw badRequest("expires_at must be an ISO 8601 date and time.", "ValidationError");
    if (expiry && expiry.ms <= Date.now()) throw badRequest("expires_at is in the past.", "ValidationError");
    const { secret, hash } = await newSecret(a.secret ?? undefined);
    const values = {
      id: newId(), name: a.name, userId: auth.userId, projectId: auth.projectId, secretHash: hash, description: a.description ?? null,
      expiresAt: expiry?.text ?? null, expiresAtMs: expiry?.ms ?? null, unrestricted: a.unrestricted ?? false, roleIds: chosen.ids,
    };
    const duplicate = () => duplicateOf("application credential", `Duplicate entry found with name ${a.name}.`);
    const [row] = await storeUnique(() => c.var.deps.db.insert(applicationCredentials).values(values).returning(), duplicate);
    const [view] = await viewsOf(c, [row]);
    return c.json({ application_credential: { ...view, secret } }, 201);
  });

  app.get(PATH, ...ownerOrAdmin, async (c) => {
    const { db } = c.var.deps;
    const user = await getUser(db, c.req.param("user_id"));
    const name = c.req.query("name");
    const where = and(eq(applicationCredentials.userId, user.id), name !== undefined ? eq(applicationCredentials.name, name) : undefined);
    const rows = await db.select().from(applicationCredentials).where(where).orderBy(applicationCredentials.name);
    return c.json({ application_credentials: await viewsOf(c, rows), links: collectionLinks(c) });
  });

  app.get(`${PATH}/:id`, ...ownerOrAdmin, async (c) => {
    const [view] = await viewsOf(c, [await getAppCred(c)]);
    return c.json({ application_credential: view });
  });

  app.delete(`${PATH}/:id`, ...ownerOrAdmin, async (c) => {
    refuseRestricted(c);
    const row = await getAppCred(c);
    await c.var.deps.db.delete(applicationCredentials).where(eq(applicationCredentials.id, row.id));
    await revokeTokens(c, { appCredId: row.id });
    return c.body(null, 204);
  });

  return app;
}
