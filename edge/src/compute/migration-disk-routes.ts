import type { Context, Hono } from "hono";
import type { AppEnv } from "../lib/context.js";
import { ApiError } from "../lib/errors.js";
import { publicBase } from "../lib/urls.js";
import { migrationBlobKey, migrationDiskUploaded, migrationForHost } from "./actions/migrate.js";

/**
 * The cold-migration disk staged on the edge, on the host-facing app: the source host PUTs it, the
 * destination GETs it, either DELETEs it when done or failed. Each host reaches only its own migrations.
 */
export function registerMigrationDiskRoutes(app: Hono<AppEnv>, callingHost: (c: Context<AppEnv>) => Promise<string>) {
  app.put("/migrations/:id/disk", async (c) => {
    const host = await callingHost(c);
    if (!c.req.raw.body) throw new ApiError(400, "The request body is empty.");
    await migrationDiskUploaded(c.var.deps, host, c.req.param("id"), c.req.raw.body, publicBase(c));
    return c.body(null, 204);
  });

  app.get("/migrations/:id/disk", async (c) => {
    const m = await migrationForHost(c.var.deps.db, await callingHost(c), c.req.param("id"), "dest", ["migrating"]);
    const body = await c.var.deps.blobs.get(migrationBlobKey(m.id));
    if (!body) throw new ApiError(404, `The disk of migration ${m.id} is gone.`);
    return c.body(body, 200, { "Content-Type": "application/octet-stream" });
  });

  app.delete("/migrations/:id/disk", async (c) => {
    const m = await migrationForHost(c.var.deps.db, await callingHost(c), c.req.param("id"), "either", ["pre-migrating", "migrating", "confirmed", "reverted", "error"]);
    await c.var.deps.blobs.delete(migrationBlobKey(m.id));
    return c.body(null, 204);
  });
}
