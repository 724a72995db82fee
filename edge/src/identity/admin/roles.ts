import { eq, inArray } from "drizzle-orm";
import { Hono } from "hono";
import { roleAssignments, roles } from "../../db/schema.js";
import { authenticate, requireRole } from "../../lib/auth.js";
import type { AppEnv } from "../../lib/context.js";
import { forbidden } from "../../lib/errors.js";
import { collectionLinks, duplicateOf, newId, parseBody, revokeTokens, storeUnique, v3Base } from "./common.js";
import { isImmutableRole, ROLE_INFERENCES } from "./inference.js";
import { roleCreate, roleUpdate } from "./schemas.js";
import { getRole } from "./store.js";
import { roleView, type RoleRow } from "./views.js";

const duplicate = (name: string) => duplicateOf("role", `Duplicate entry found with name ${name}.`);
const immutable = (r: RoleRow) => forbidden(`Role ${r.name} (${r.id}) is immutable: policy depends on it.`);

/** Keystone v3 roles and the (fixed) role inference rules admin ⊃ member ⊃ reader. */
export function roleRoutes() {
  const app = new Hono<AppEnv>();

  app.post("/roles", authenticate(), requireRole("admin"), async (c) => {
    const { role: r } = await parseBody(c, roleCreate);
    const values = { id: newId(), name: r.name, description: r.description ?? null };
    const [row] = await storeUnique(() => c.var.deps.db.insert(roles).values(values).returning(), () => duplicate(r.name));
    return c.json({ role: roleView(row, v3Base(c)) }, 201);
  });

  app.get("/roles", authenticate(), requireRole("admin"), async (c) => {
    const { name, domain_id } = c.req.query();
    // Every role is global: a domain filter matches none.
    const rows = domain_id ? [] : await c.var.deps.db.select().from(roles).where(name !== undefined ? eq(roles.name, name) : undefined).orderBy(roles.name);
    return c.json({ roles: rows.map((r) => roleView(r, v3Base(c))), links: collectionLinks(c) });
  });

  app.get("/roles/:id", authenticate(), requireRole("admin"), async (c) => {
    return c.json({ role: roleView(await getRole(c.var.deps.db, c.req.param("id")), v3Base(c)) });
  });

  app.patch("/roles/:id", authenticate(), requireRole("admin"), async (c) => {
    const { db } = c.var.deps;
    const current = await getRole(db, c.req.param("id"));
    const { role: r } = await parseBody(c, roleUpdate);
    if (isImmutableRole(current.name)) throw immutable(current);
    if (r.name === undefined && r.description === undefined) return c.json({ role: roleView(current, v3Base(c)) });
    const set = { name: r.name, description: r.description };
    const [row] = await storeUnique(() => db.update(roles).set(set).where(eq(roles.id, current.id)).returning(), () => duplicate(r.name ?? ""));
    return c.json({ role: roleView(row, v3Base(c)) });
  });

  app.delete("/roles/:id", authenticate(), requireRole("admin"), async (c) => {
    const { db } = c.var.deps;
    const current = await getRole(db, c.req.param("id"));
    if (isImmutableRole(current.name)) throw immutable(current);
    await db.transaction(async (tx) => {
      await tx.delete(roleAssignments).where(eq(roleAssignments.roleId, current.id));
      await tx.delete(roles).where(eq(roles.id, current.id));
    }, { behavior: "immediate" });
    await revokeTokens(c, { roleId: current.id });
    return c.body(null, 204);
  });

  app.get("/role_inferences", authenticate(), requireRole("admin"), async (c) => {
    const names = ROLE_INFERENCES.flatMap((i) => [i.prior, i.implies]);
    const byName = new Map((await c.var.deps.db.select().from(roles).where(inArray(roles.name, names))).map((r) => [r.name, r]));
    const brief = (r: RoleRow) => {
      const { id, name, description, links } = roleView(r, v3Base(c));
      return { id, name, description, links };
    };
    const inferences = ROLE_INFERENCES.flatMap(({ prior, implies }) => {
      const p = byName.get(prior);
      const i = byName.get(implies);
      return p && i ? [{ prior_role: brief(p), implies: [brief(i)] }] : [];
    });
    return c.json({ role_inferences: inferences, links: { self: c.req.url } });
  });

  return app;
}
