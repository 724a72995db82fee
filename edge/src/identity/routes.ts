import { Hono } from "hono";
import type { AppEnv } from "../lib/context.js";
import { errorHandler, statusTitle, type ApiError } from "../lib/errors.js";
import { publicBase } from "../lib/urls.js";
import { domainRoutes } from "./admin/domains.js";
import { groupRoutes } from "./admin/groups.js";
import { impliedRoleRoutes } from "./admin/implied.js";
import { projectTagRoutes } from "./admin/project-tags.js";
import { projectRoutes } from "./admin/projects.js";
import { roleRoutes } from "./admin/roles.js";
import { userRoutes } from "./admin/users.js";
import { grantRoutes } from "./assignments/grants.js";
import { assignmentListRoutes } from "./assignments/list.js";
import { appCredRoutes } from "./app-creds/routes.js";
import { authRoutes } from "./auth/routes.js";
import { endpointRoutes } from "./catalog-admin/endpoints.js";
import { regionRoutes } from "./catalog-admin/regions.js";
import { serviceRoutes } from "./catalog-admin/services.js";
import { versionView } from "./views.js";

const keystoneError = (e: ApiError) => ({ error: { code: e.status, title: statusTitle(e.status), message: e.message } });

/** Keystone v3: discovery, tokens, the caller's own scopes and catalog, and the admin API. */
export function identityApp() {
  const app = new Hono<AppEnv>();
  app.onError(errorHandler(keystoneError));

  app.get("/", (c) => c.json({ versions: { values: [versionView(publicBase(c))] } }, 300));
  app.get("/v3", (c) => c.json({ version: versionView(publicBase(c)) }));

  // One sub-app per resource; each route declares its own policy.
  for (const routes of [authRoutes, domainRoutes, projectRoutes, projectTagRoutes, userRoutes, groupRoutes, roleRoutes, impliedRoleRoutes, grantRoutes, assignmentListRoutes,
    regionRoutes, serviceRoutes, endpointRoutes, appCredRoutes]) {
    app.route("/v3", routes());
  }

  return app;
}
