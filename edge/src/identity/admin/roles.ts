import { and, eq, isNull } from "drizzle-orm";
import { Hono } from "hono";
import { assignments, roles } from "../../db/schema.js";
import { authenticate, requireRole } from "../../lib/auth.js";
import type { AppEnv } from "../../lib/context.js";
import { forbidden } from "../../lib/errors.js";
import { collectionLinks, duplicateOf, newId, parseBody, revokeTokens, storeUnique, v3Base } from "./common.js";
import { isImmutableRole } from "./immutable.js";
import { roleCreate, roleUpdate } from "./schemas.js";
import { getDomain, getRole } from "./store.js";
import { roleView, type RoleRow } from "./views.js";

const duplicate = (name: string) => duplicateOf("role", `Duplicate entry found with name ${name}.`);
const immutable = (r: RoleRow) => forbidden(`Role ${r.name} (${r.id}) is immutable: policy depends on it.`);

/** Keystone v3 roles: global ones, and domain-specific ones (which only count through what they imply). */
export function roleRoutes() {
  const app = new Hono<AppEnv>();
  const admin = [authenticate(), requireRole("admin")] as const;

  app.post("/roles", ...admin, async (c) => {
    const { role: r } = await parseBody(c, roleCreate);
    if (r.domain_id) await getDomain(c.var.deps.db, r.domain_id);
    const values = { id: newId(), name: r.name, description: r.description ?? null, domainId: r.domain_id ?? null };
    const [row] = await storeUnique(() => c.var.deps.db.insert(roles).values(values).returning(), () => duplicate(r.name));
    return c.json({ role: roleView(row, v3Base(c)) }, 201);
  });

  // As Keystone: without `domain_id` only global roles are listed.
  app.get("/roles", ...admin, async (c) => {
    const { name, domain_id } = c.req.query();
    const where = and(domain_id ? eq(roles.domainId, domain_id) : isNull(roles.domainId), name !== undefined ? eq(roles.name, name) : undefined);
    const rows = await c.var.deps.db.select().from(roles).where(where).orderBy(roles.name);
    return c.json({ roles: rows.map((r) => roleView(r, v3Base(c))), links: collectionLinks(c) });
  });

  app.get("/roles/:id", ...admin, async (c) => {
    return c.json({ role: roleView(await getRole(c.var.deps.db, c.req.param("id")), v3Base(c)) });
  });

  app.patch("/roles/:id", ...admin, async (c) => {
    const { db } = c.var.deps;
    const current = await getRole(db, c.req.param("id"));
    const { role: r } = await parseBody(c, roleUpdate);
    if (isImmutableRole(current)) throw immutable(current);
    if (r.name === undefined && r.description === undefined) return c.json({ role: roleView(current, v3Base(c)) });
    const set = { name: r.name, description: r.description };
    const [row] = await storeUnique(() => db.update(roles).set(set).where(eq(roles.id, current.id)).returning(), () => duplicate(r.name ?? ""));
    return c.json({ role: roleView(row, v3Base(c)) });
  });

  app.delete("/roles/:id", ...admin, async (c) => {
    const { db } = c.var.deps;
    const current = await getRole(db, c.req.param("id"));
    if (isImmutableRole(current)) throw immutable(current);
    await db.transaction(async (tx) => {
      await tx.delete(assignments).where(eq(assignments.roleId, current.id));
      await tx.delete(roles).where(eq(roles.id, current.id)); // its inference rules go with it (foreign key)
    }, { behavior: "immediate" });
    await revokeTokens(c, { roleId: current.id });
    return c.body(null, 204);
  });

  return app;
}
