import { eq } from "drizzle-orm";
import { Hono, type Context } from "hono";
import { z } from "zod";
import { hostIdOfTopic } from "#shared";
import { ingest } from "../bus/ingest.js";
import { images } from "../db/schema.js";
import { admin, authenticate } from "../lib/auth.js";
import type { AppEnv } from "../lib/context.js";
import { timingSafeEqual } from "../lib/encoding.js";
import { ApiError, errorHandler, readJson, statusTitle } from "../lib/errors.js";
import { snapshotImageForHost } from "../image/host-upload.js";
import { serveImageData } from "../image/routes.js";
import { declaredSize, uploadImageData } from "../image/service.js";
import { publicBase } from "../lib/urls.js";
import { enrollHost, verifyHost } from "./enroll.js";
import { registerMigrationDiskRoutes } from "../compute/migration-disk-routes.js";

const plainError = (e: ApiError) => ({ error: { code: e.status, title: statusTitle(e.status), message: e.message } });

/** Host-facing endpoints: enrolment (admin), image download (host credentials), broker relay ingest. */
export function hostsApp() {
  const app = new Hono<AppEnv>();
  app.onError(errorHandler(plainError));

  app.post("/hosts", authenticate(), admin(), async (c) => {
    const { host } = z.object({ host: z.object({ id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/) }) }).parse(await readJson(c));
    return c.json({ host: await enrollHost(c.var.deps.db, host.id) }, 201);
  });

  /** The calling host's id, from its Basic credentials (401 otherwise). */
  const callingHost = async (c: Context<AppEnv>) => {
    const [scheme, value] = (c.req.header("Authorization") ?? "").split(" ");
    const [hostId, secret] = scheme === "Basic" && value ? atob(value).split(":") : [];
    if (!hostId || !secret || !(await verifyHost(c.var.deps.db, hostId, secret))) throw new ApiError(401, "Host credentials required.");
    return hostId;
  };

  app.get("/images/:id/file", async (c) => {
    await callingHost(c);
    const img = (await c.var.deps.db.select().from(images).where(eq(images.id, c.req.param("id"))))[0];
    if (!img) throw new ApiError(404, `No image found with ID ${c.req.param("id")}`);
    return serveImageData(c, img);
  });

  // Snapshot upload from the host that runs the server: queued → saving → active, as a user upload.
  app.put("/images/:id/file", async (c) => {
    const { db, blobs } = c.var.deps;
    const img = await snapshotImageForHost(db, await callingHost(c), c.req.param("id"));
    if (!c.req.raw.body) throw new ApiError(400, "The request body is empty.");
    await uploadImageData(db, blobs, img.id, c.req.raw.body, declaredSize(c.req.header("Content-Length")));
    return c.body(null, 204);
  });

  // A failed snapshot: Nova deletes the image it had queued.
  app.delete("/images/:id/file", async (c) => {
    const { db, blobs } = c.var.deps;
    const img = await snapshotImageForHost(db, await callingHost(c), c.req.param("id"), ["queued", "saving"]);
    await db.delete(images).where(eq(images.id, img.id));
    await blobs.delete(img.id);
    return c.body(null, 204);
  });

  registerMigrationDiskRoutes(app, callingHost);

  app.post("/bus/ingest", async (c) => {
    const expected = c.var.deps.config.ingestSecret;
    const given = (c.req.header("Authorization") ?? "").replace(/^Bearer /, "");
    if (!expected || !timingSafeEqual(given, expected)) throw new ApiError(401, "Relay credentials required.");
    const { topic, payload } = z.object({ topic: z.string(), payload: z.unknown() }).parse(await readJson(c));
    const hostId = hostIdOfTopic(topic);
    const kind = topic.endsWith("/status") ? "status" : topic.endsWith("/events") ? "events" : null;
    if (!hostId || !kind) throw new ApiError(400, `Not a host event topic: ${topic}`);
    const { db, bus } = c.var.deps;
    await ingest({ db, bus, apiBase: publicBase(c), resizeConfirmWindowSeconds: c.var.deps.config.resizeConfirmWindowSeconds }, hostId, kind, payload);
    return c.body(null, 204);
  });

  return app;
}
