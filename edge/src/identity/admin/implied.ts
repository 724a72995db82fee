import { and, eq } from "drizzle-orm";
import { Hono } from "hono";
import { impliedRoles, roles } from "../../db/schema.js";
import { authenticate, requireRole } from "../../lib/auth.js";
import type { AppEnv } from "../../lib/context.js";
import { forbidden, notFound } from "../../lib/errors.js";
import { revokeTokens, v3Base, type Ctx } from "./common.js";
import { isSeededInference, PROHIBITED_IMPLIED } from "./immutable.js";
import { getRole } from "./store.js";
import { roleBrief, type RoleRow } from "./views.js";

const RULE = "/roles/:prior/implies/:implied";

async function ruleOf(c: Ctx) {
  const { db } = c.var.deps;
  const prior = await getRole(db, c.req.param("prior")!);
  const implied = await getRole(db, c.req.param("implied")!);
  const where = and(eq(impliedRoles.priorRoleId, prior.id), eq(impliedRoles.impliedRoleId, implied.id));
  const exists = (await db.select().from(impliedRoles).where(where).limit(1)).length > 0;
  return { prior, implied, where, exists };
}

const ruleNotFound = (prior: RoleRow, implied: RoleRow) => notFound(`${prior.id} does not imply ${implied.id}.`, "ImpliedRoleNotFound");

/** Keystone's role inference rules: holding the prior role also grants the implied one. */
export function impliedRoleRoutes() {
  const app = new Hono<AppEnv>();
  const admin = [authenticate(), requireRole("admin")] as const;

  app.put(RULE, ...admin, async (c) => {
    const { prior, implied, exists } = await ruleOf(c);
    if (implied.domainId === null && implied.name === PROHIBITED_IMPLIED) throw forbidden(`No role may imply ${PROHIBITED_IMPLIED}.`);
    if (prior.domainId === null && implied.domainId !== null) throw forbidden("A global role cannot imply a domain-specific role.");
    if (prior.id === implied.id) throw forbidden("A role cannot imply itself.");
    if (!exists) await c.var.deps.db.insert(impliedRoles).values({ priorRoleId: prior.id, impliedRoleId: implied.id }).onConflictDoNothing();
    return c.json({ role_inference: { prior_role: roleBrief(prior, v3Base(c)), implies: roleBrief(implied, v3Base(c)) }, links: { self: c.req.url } }, 201);
  });

  // HEAD comes here too (Hono routes it to GET): Keystone answers it 204.
  app.get(RULE, ...admin, async (c) => {
    const { prior, implied, exists } = await ruleOf(c);
    if (!exists) throw ruleNotFound(prior, implied);
    if (c.req.method === "HEAD") return c.body(null, 204);
    return c.json({ role_inference: { prior_role: roleBrief(prior, v3Base(c)), implies: roleBrief(implied, v3Base(c)) }, links: { self: c.req.url } });
  });

  app.delete(RULE, ...admin, async (c) => {
    const { prior, implied, where, exists } = await ruleOf(c);
    if (!exists) throw ruleNotFound(prior, implied);
    if (isSeededInference(prior, implied)) throw forbidden(`The rule ${prior.name} implies ${implied.name} is what policy enforces: it cannot be removed.`);
    await c.var.deps.db.delete(impliedRoles).where(where);
    await revokeTokens(c, { roleId: prior.id });
    return c.body(null, 204);
  });

  app.get("/roles/:prior/implies", ...admin, async (c) => {
    const { db } = c.var.deps;
    const prior = await getRole(db, c.req.param("prior"));
    const rows = await db.select({ role: roles }).from(impliedRoles).innerJoin(roles, eq(roles.id, impliedRoles.impliedRoleId)).where(eq(impliedRoles.priorRoleId, prior.id));
    const implies = rows.map((r) => roleBrief(r.role, v3Base(c)));
    return c.json({ role_inference: { prior_role: roleBrief(prior, v3Base(c)), implies }, links: { self: c.req.url } });
  });

  app.get("/role_inferences", ...admin, async (c) => {
    const { db } = c.var.deps;
    const [rules, all] = await Promise.all([db.select().from(impliedRoles), db.select().from(roles)]);
    const byId = new Map(all.map((r) => [r.id, r]));
    const priors = [...new Set(rules.map((r) => r.priorRoleId))];
    const role_inferences = priors.map((p) => ({
      prior_role: roleBrief(byId.get(p)!, v3Base(c)),
      implies: rules.filter((r) => r.priorRoleId === p).map((r) => roleBrief(byId.get(r.impliedRoleId)!, v3Base(c))),
    }));
    return c.json({ role_inferences, links: { self: c.req.url } });
  });

  return app;
}
