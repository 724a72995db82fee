import { Hono, type Context } from "hono";
import { authenticate } from "../lib/auth.js";
import type { AppEnv } from "../lib/context.js";
import { ApiError, errorHandler, readJson, statusTitle } from "../lib/errors.js";
import { publicBase } from "../lib/urls.js";
import { assignmentRoutes } from "./admin/assignments.js";
import { collectionLinks, v3Base } from "./admin/common.js";
import { domainRoutes } from "./admin/domains.js";
import { projectRoutes } from "./admin/projects.js";
import { roleRoutes } from "./admin/roles.js";
import { projectsOfUser } from "./admin/store.js";
import { userRoutes } from "./admin/users.js";
import { projectView } from "./admin/views.js";
import { authRequest } from "./auth-request.js";
import { buildCatalog } from "./catalog.js";
import { issueToken } from "./issue-token.js";
import { tokenView, versionView } from "./views.js";

const keystoneError = (e: ApiError) => ({ error: { code: e.status, title: statusTitle(e.status), message: e.message } });

/** Keystone v3: discovery, tokens, the caller's own projects and catalog, and the admin API. */
export function identityApp() {
  const app = new Hono<AppEnv>();
  app.onError(errorHandler(keystoneError));

  app.get("/", (c) => c.json({ versions: { values: [versionView(publicBase(c))] } }, 300));
  app.get("/v3", (c) => c.json({ version: versionView(publicBase(c)) }));

  app.post("/v3/auth/tokens", async (c) => {
    const req = authRequest.parse(await readJson(c));
    const { token, claims } = await issueToken(c.var.deps, req, c.var.deps.config.tokenTtlSeconds);
    const nocatalog = c.req.query("nocatalog") !== undefined;
    c.header("X-Subject-Token", token);
    return c.json(tokenView(claims, publicBase(c), c.var.deps.config.region, !nocatalog), 201);
  });

  const subjectClaims = async (c: Context<AppEnv>) => {
    const subject = c.req.header("X-Subject-Token");
    const claims = subject ? await c.var.deps.tokens.open(subject) : null;
    if (!claims) throw new ApiError(404, "Could not find token.", "TokenNotFound");
    if (await c.var.deps.revocations.isRevoked(claims)) throw new ApiError(404, "Could not find token.", "TokenNotFound");
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

  app.get("/v3/auth/projects", authenticate(), async (c) => {
    const rows = (await projectsOfUser(c.var.deps.db, c.var.auth.userId)).filter((p) => p.enabled);
    return c.json({ projects: rows.map((p) => projectView(p, v3Base(c))), links: collectionLinks(c) });
  });

  // The Keystone v3 admin API, one sub-app per resource; each route declares its own policy.
  app.route("/v3", domainRoutes());
  app.route("/v3", projectRoutes());
  app.route("/v3", userRoutes());
  app.route("/v3", roleRoutes());
  app.route("/v3", assignmentRoutes());

  return app;
}
