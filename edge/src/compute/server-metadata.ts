import { eq } from "drizzle-orm";
import type { Hono } from "hono";
import { servers } from "../db/schema.js";
import type { AppEnv } from "../lib/context.js";
import { ApiError } from "../lib/errors.js";
import { registerMetadataRoutes } from "../lib/metadata-routes.js";
import { assertUnlocked } from "./server-extras.js";
import { projectLimits } from "./quotas.js";
import { findServer } from "./servers.js";

/** Nova's /servers/{id}/metadata: a locked server refuses changes, and the project's metadata_items quota bounds it. */
export function registerServerMetadataRoutes(app: Hono<AppEnv>) {
  registerMetadataRoutes(app, "/v2.1/servers", {
    deleteStatus: 204,
    get: async (c, id) => (await findServer(c.var.deps.db, c.var.auth, id)).metadata,
    set: async (c, id, metadata) => {
      const { db } = c.var.deps;
      const server = await findServer(db, c.var.auth, id);
      await assertUnlocked(db, c.var.auth, server.id);
      const limit = (await projectLimits(db, server.projectId)).metadata_items;
      if (limit >= 0 && Object.keys(metadata).length > limit) throw new ApiError(403, "Quota exceeded for resources: ['metadata_items']", "forbidden");
      await db.update(servers).set({ metadata, updatedAt: new Date().toISOString() }).where(eq(servers.id, server.id));
    },
  });
}
