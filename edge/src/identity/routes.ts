import { eq, and, inArray } from "drizzle-orm";
import { Hono, type Context } from "hono";
import { projects, roleAssignments } from "../db/schema.js";
import { authenticate } from "../lib/auth.js";
import type { AppEnv } from "../lib/context.js";
import { ApiError, errorHandler, readJson, statusTitle } from "../lib/errors.js";
import { publicBase } from "../lib/urls.js";
import { authRequest } from "./auth-request.js";
import { buildCatalog } from "./catalog.js";
import { issueToken } from "./issue-token.js";
import { tokenView, versionView } from "./views.js";

const keystoneError = (e: ApiError) => ({ error: { code: e.status, title: statusTitle(e.status), message: e.message } });

/** Keystone v3: discovery, tokens and the caller's own projects and catalog. */
export function identityApp() {
  const app = new Hono<AppEnv>();
  app.onError(errorHandler(keystoneError));

  app.get("/", (c) => c.json({ versions: { values: [versionView(publicBase(c))] } }, 300));
  app.get("/v3", (c) => c.json({ version: versionView(publicBase(c)) }));

  app.post("/v3/auth/tokens", async (c) => {
    const { db, tokens, config } = c.var.deps;
    const req = authRequest.parse(await readJson(c));
    const { token, claims } = await issueToken(db, tokens, req, config.tokenTtlSeconds);
    const nocatalog = c.req.query("nocatalog") !== undefined;
    c.header("X-Subject-Token", token);
    return c.json(tokenView(claims, publicBase(c), config.region, !nocatalog), 201);
  });

  const subjectClaims = async (c: Context<AppEnv>) => {
    const subject = c.req.header("X-Subject-Token");
    const claims = subject ? await c.var.deps.tokens.open(subject) : null;
    if (!claims) throw new ApiError(404, "Could not find token.", "TokenNotFound");
    if (await c.var.deps.revocations.isRevoked(claims.audit)) throw new ApiError(404, "Could not find token.", "TokenNotFound");
    return { subject: subject!, claims };
  };

  app.on(["GET", "HEAD"], "/v3/auth/tokens", authenticate(), async (c) => {
    const { subject, claims } = await subjectClaims(c);
    c.header("X-Subject-Token", subject);
    if (c.req.method === "HEAD") return c.body(null, 200);
    return c.json(tokenView(claims, publicBase(c), c.var.deps.config.region, c.req.query("nocatalog") === undefined));
  });

  app.delete("/v3/auth/tokens", authenticate(), async (c) => {
    const { claims } = await subjectClaims(c);
    if (claims.uid !== c.var.auth.userId && !c.var.auth.isAdmin) throw new ApiError(403, "You may only revoke your own tokens.", "Forbidden");
    await c.var.deps.revocations.revoke(claims.audit, new Date(claims.exp));
    return c.body(null, 204);
  });

  app.get("/v3/auth/catalog", authenticate(), (c) => {
    const pid = c.var.auth.projectId;
    if (!pid) throw new ApiError(403, "A project-scoped token is required.", "Forbidden");
    return c.json({ catalog: buildCatalog(publicBase(c), c.var.deps.config.region, pid), links: { self: c.req.url } });
  });

  const listUserProjects = async (c: { var: AppEnv["Variables"] }, userId = c.var.auth.userId) => {
    const { db } = c.var.deps;
    const ids = (await db.selectDistinct({ id: roleAssignments.projectId }).from(roleAssignments).where(eq(roleAssignments.userId, userId))).map((r) => r.id);
    if (ids.length === 0) return [];
    const rows = await db.select().from(projects).where(and(inArray(projects.id, ids), eq(projects.enabled, true)));
    return rows.map((p) => ({ id: p.id, name: p.name, domain_id: p.domainId, description: p.description, enabled: p.enabled, parent_id: p.domainId, is_domain: false, links: {} }));
  };
  app.get("/v3/auth/projects", authenticate(), async (c) => c.json({ projects: await listUserProjects(c), links: { self: c.req.url } }));
  app.get("/v3/users/:id/projects", authenticate(), async (c) => {
    if (c.req.param("id") !== c.var.auth.userId && !c.var.auth.isAdmin) throw new ApiError(403, "You are not authorized to perform the requested action.", "Forbidden");
    return c.json({ projects: await listUserProjects(c, c.req.param("id")), links: { self: c.req.url } });
  });

  return app;
}
