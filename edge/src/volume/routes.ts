import { Hono } from "hono";
import { authenticate } from "../lib/auth.js";
import type { AppEnv } from "../lib/context.js";
import { ApiError, errorHandler } from "../lib/errors.js";
import { publicBase } from "../lib/urls.js";
import { cinderError } from "./common.js";
import { MAX_VOLUME_VERSION, MIN_VOLUME_VERSION, negotiateVolumeVersion, VersionNotSupported } from "./microversion.js";
import { registerMiscRoutes } from "./misc-routes.js";
import { registerSnapshotRoutes } from "./snapshot-routes.js";
import { registerTypeRoutes } from "./type-routes.js";
import { registerVolumeRoutes } from "./volume-routes.js";

const versionDoc = (base: string) => ({
  id: "v3.0", status: "CURRENT", version: MAX_VOLUME_VERSION, min_version: MIN_VOLUME_VERSION, updated: "2023-07-17T00:00:00Z",
  links: [{ rel: "describedby", type: "text/html", href: "https://docs.openstack.org/" }, { rel: "self", href: `${base}/volume/v3/` }],
  "media-types": [{ base: "application/json", type: "application/vnd.openstack.volume+json;version=3" }],
});

/** Cinder v3: volumes, actions, snapshots, types, quotas, limits and availability zones. */
export function volumeApp() {
  const app = new Hono<AppEnv>();
  app.onError(errorHandler(cinderError));
  app.use("*", async (c, next) => {
    let version = MIN_VOLUME_VERSION;
    try {
      version = negotiateVolumeVersion(c.req.header("OpenStack-API-Version"));
    } catch (err) {
      if (err instanceof VersionNotSupported) throw new ApiError(404, err.message);
      throw err;
    }
    await next();
    c.header("OpenStack-API-Version", `volume ${version}`);
    c.header("Vary", "OpenStack-API-Version");
  });

  app.get("/", (c) => c.json({ versions: [versionDoc(publicBase(c))] }, 300));
  app.get("/v3", (c) => c.json({ versions: [versionDoc(publicBase(c))] }));

  app.use("/v3/:project_id/*", authenticate());
  registerVolumeRoutes(app);
  registerSnapshotRoutes(app);
  registerTypeRoutes(app);
  registerMiscRoutes(app);
  return app;
}
