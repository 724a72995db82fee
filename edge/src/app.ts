import { Hono } from "hono";
import { computeApp } from "./compute/routes.js";
import { hostsApp } from "./hosts/routes.js";
import { identityApp } from "./identity/routes.js";
import { imageApp } from "./image/routes.js";
import type { AppEnv, Deps } from "./lib/context.js";
import { networkApp } from "./network/routes.js";
import { volumeApp } from "./volume/routes.js";

/**
 * The whole API as one Hono app; each runtime's entry point supplies the dependencies
 * (database, bus, blob store, token keys) for a request.
 */
export function createApp(depsFor: (env: unknown) => Deps | Promise<Deps>) {
  // Clients append and drop trailing slashes freely (`/compute/`, `/v2.0/`): treat them as one.
  const app = new Hono<AppEnv>({ strict: false });

  app.use("*", async (c, next) => {
    const requestId = `req-${crypto.randomUUID()}`;
    c.set("deps", await depsFor(c.env));
    c.set("requestId", requestId);
    await next();
    c.header("x-openstack-request-id", requestId);
    c.header("x-compute-request-id", requestId);
  });

  app.get("/", (c) => c.json({ name: "nimbus", services: ["identity", "compute", "image", "network"] }));
  app.route("/identity", identityApp());
  app.route("/compute", computeApp());
  app.route("/image", imageApp());
  app.route("/network", networkApp());
  app.route("/volume", volumeApp());
  app.route("/internal", hostsApp());
  app.notFound((c) => c.json({ error: { code: 404, title: "Not Found", message: `No route for ${c.req.method} ${new URL(c.req.url).pathname}` } }, 404));
  return app;
}
