import { inArray } from "drizzle-orm";
import { Hono, type Context } from "hono";
import { domains, projects } from "../../db/schema.js";
import { authenticate } from "../../lib/auth.js";
import type { AppEnv } from "../../lib/context.js";
import { ApiError, forbidden, readJson } from "../../lib/errors.js";
import type { TokenClaims } from "../../lib/token.js";
import { clientAddress } from "../../lib/client-address.js";
import { publicBase } from "../../lib/urls.js";
import { collectionLinks, v3Base } from "../admin/common.js";
import { domainView, projectView } from "../admin/views.js";
import { targetsOfUser } from "../assignments/engine.js";
import { effectiveForUser } from "../assignments/load.js";
import { authRequest } from "../auth-request.js";
import { loadCatalog } from "../catalog.js";
import { issueToken } from "../issue-token.js";
import { isScoped, tokenView } from "../views.js";

type Ctx = Context<AppEnv>;

const catalogFor = (c: Ctx, claims: TokenClaims) => loadCatalog(c.var.deps.db, { base: publicBase(c), projectId: claims.pid, userId: claims.uid });

/** The token body, with the catalog unless `?nocatalog` is given or the token is unscoped. */
async function tokenBody(c: Ctx, claims: TokenClaims) {
  const withCatalog = isScoped(claims) && c.req.query("nocatalog") === undefined;
  return tokenView(claims, withCatalog ? await catalogFor(c, claims) : undefined);
}

async function subjectClaims(c: Ctx) {
  const subject = c.req.header("X-Subject-Token");
  const claims = subject ? await c.var.deps.tokens.open(subject) : null;
  if (!claims || (await c.var.deps.revocations.isRevoked(claims))) throw new ApiError(404, "Could not find token.", "TokenNotFound");
  return { subject: subject!, claims };
}

/** Keystone's /v3/auth: issue, validate and revoke tokens; the caller's catalog and available scopes. */
export function authRoutes() {
  const app = new Hono<AppEnv>();

  app.post("/auth/tokens", async (c) => {
    const req = authRequest.parse(await readJson(c));
    const { token, claims } = await issueToken(c.var.deps, req, c.var.deps.config.tokenTtlSeconds, { address: clientAddress(c) });
    c.header("X-Subject-Token", token);
    return c.json(await tokenBody(c, claims), 201);
  });

  app.on(["GET", "HEAD"], "/auth/tokens", authenticate(), async (c) => {
    const { subject, claims } = await subjectClaims(c);
    c.header("X-Subject-Token", subject);
    if (c.req.method === "HEAD") return c.body(null, 200);
    return c.json(await tokenBody(c, claims));
  });

  app.delete("/auth/tokens", authenticate(), async (c) => {
    const { claims } = await subjectClaims(c);
    if (claims.uid !== c.var.auth.userId && !c.var.auth.isAdmin) throw forbidden("You may only revoke your own tokens.");
    await c.var.deps.revocations.revoke(claims.audit, new Date(claims.exp));
    return c.body(null, 204);
  });

  app.get("/auth/catalog", authenticate(), async (c) => {
    if (!isScoped(c.var.auth.claims)) throw forbidden("A scoped token is required.");
    return c.json({ catalog: await catalogFor(c, c.var.auth.claims), links: { self: c.req.url } });
  });

  app.get("/auth/projects", authenticate(), async (c) => {
    const { db } = c.var.deps;
    const ids = targetsOfUser((await effectiveForUser(db, c.var.auth.userId)).effective, c.var.auth.userId, "project");
    const rows = ids.length ? await db.select().from(projects).where(inArray(projects.id, ids)).orderBy(projects.name) : [];
    return c.json({ projects: rows.filter((p) => p.enabled).map((p) => projectView(p, v3Base(c))), links: collectionLinks(c) });
  });

  app.get("/auth/domains", authenticate(), async (c) => {
    const { db } = c.var.deps;
    const ids = targetsOfUser((await effectiveForUser(db, c.var.auth.userId)).effective, c.var.auth.userId, "domain");
    const rows = ids.length ? await db.select().from(domains).where(inArray(domains.id, ids)).orderBy(domains.name) : [];
    return c.json({ domains: rows.filter((d) => d.enabled).map((d) => domainView(d, v3Base(c))), links: collectionLinks(c) });
  });

  return app;
}
