import { eq } from "drizzle-orm";
import { Hono, type Context } from "hono";
import { z } from "zod";
import { images } from "../db/schema.js";
import { authenticate, callerProject, member, reader } from "../lib/auth.js";
import type { AppEnv } from "../lib/context.js";
import { ApiError, errorHandler, readJson, statusTitle } from "../lib/errors.js";
import { filterByQuery } from "../lib/filters.js";
import { publicBase } from "../lib/urls.js";
import { CONTAINER_FORMATS, DISK_FORMATS, findImage, uploadImageData, visibleTo } from "./service.js";
import { imageView } from "./views.js";

const glanceError = (e: ApiError) => ({ code: e.status, title: statusTitle(e.status), message: e.message });

const reserved = new Set(["id", "status", "size", "virtual_size", "checksum", "os_hash_algo", "os_hash_value", "created_at", "updated_at", "self", "file", "schema", "owner", "location", "locations"]);

const createBody = z.object({
  id: z.string().uuid().optional(),
  name: z.string().max(255).nullable().optional(),
  visibility: z.enum(["public", "private", "shared", "community"]).default("shared"),
  protected: z.boolean().default(false),
  disk_format: z.enum(DISK_FORMATS).nullable().optional(),
  container_format: z.enum(CONTAINER_FORMATS).nullable().optional(),
  min_disk: z.number().int().nonnegative().default(0),
  min_ram: z.number().int().nonnegative().default(0),
  tags: z.array(z.string()).default([]),
}).passthrough();

type Ctx = Context<AppEnv>;

/** Glance v2: image records and their data. */
export function imageApp() {
  const app = new Hono<AppEnv>();
  app.onError(errorHandler(glanceError));

  const versions = (c: Ctx) => c.json({ versions: [{ id: "v2.9", status: "CURRENT", links: [{ rel: "self", href: `${publicBase(c)}/image/v2/` }] }] }, 300);
  app.get("/", versions);
  app.get("/versions", versions);

  app.use("/v2/*", authenticate());

  app.get("/v2/images", reader(), async (c) => {
    const rows = await c.var.deps.db.select().from(images).where(visibleTo(c.var.auth));
    const q = c.req.queries() as Record<string, string[]>;
    const limit = Number(c.req.query("limit") ?? 1000);
    const views = filterByQuery(rows.map(imageView), q, ["limit", "marker", "sort", "sort_key", "sort_dir"]).filter((i) => i.status !== "deleted");
    const start = c.req.query("marker") ? views.findIndex((v) => v.id === c.req.query("marker")) + 1 : 0;
    const page = views.slice(start, start + limit);
    const body: Record<string, unknown> = { images: page, first: "/v2/images", schema: "/v2/schemas/images" };
    if (start + limit < views.length && page.length) body.next = `/v2/images?marker=${page[page.length - 1].id}&limit=${limit}`;
    return c.json(body);
  });

  app.get("/v2/images/:id", reader(), async (c) => c.json(imageView(await findImage(c.var.deps.db, c.var.auth, c.req.param("id")))));

  app.post("/v2/images", member(), async (c) => {
    const b = createBody.parse(await readJson(c));
    if (b.visibility === "public" && !c.var.auth.isAdmin) throw new ApiError(403, "You are not authorized to publicize images.");
    const extra = Object.fromEntries(Object.entries(b).filter(([k]) => !(k in createBody.shape) && !reserved.has(k)));
    const row = {
      id: b.id ?? crypto.randomUUID(), name: b.name ?? null, owner: callerProject(c), visibility: b.visibility, protected: b.protected,
      diskFormat: b.disk_format ?? null, containerFormat: b.container_format ?? null, minDisk: b.min_disk, minRam: b.min_ram, tags: b.tags, properties: extra,
    };
    const [created] = await c.var.deps.db.insert(images).values(row).returning();
    return c.json(imageView(created), 201);
  });

  app.delete("/v2/images/:id", member(), async (c) => {
    const { db, blobs } = c.var.deps;
    const img = await findImage(db, c.var.auth, c.req.param("id"));
    if (img.owner !== c.var.auth.projectId && !c.var.auth.isAdmin) throw new ApiError(403, "You are not permitted to delete this image.");
    if (img.protected) throw new ApiError(403, `Image ${img.id} is protected and cannot be deleted.`);
    await db.delete(images).where(eq(images.id, img.id));
    await blobs.delete(img.id);
    return c.body(null, 204);
  });

  app.put("/v2/images/:id/file", member(), async (c) => {
    const { db, blobs } = c.var.deps;
    const img = await findImage(db, c.var.auth, c.req.param("id"));
    if (img.owner !== c.var.auth.projectId && !c.var.auth.isAdmin) throw new ApiError(403, "You are not permitted to upload data for this image.");
    if (!img.diskFormat || !img.containerFormat) throw new ApiError(400, "Properties disk_format and container_format must be set prior to uploading data.");
    if (!c.req.raw.body) throw new ApiError(400, "The request body is empty.");
    await uploadImageData(db, blobs, img.id, c.req.raw.body);
    return c.body(null, 204);
  });

  app.get("/v2/images/:id/file", reader(), async (c) => {
    const img = await findImage(c.var.deps.db, c.var.auth, c.req.param("id"));
    return serveImageData(c, img);
  });

  return app;
}

/** Streams an active image's bytes with Glance's Content-MD5 (the hex checksum). */
export async function serveImageData(c: Ctx, img: (typeof images)["$inferSelect"]) {
  if (img.status !== "active") return c.body(null, 204);
  const stream = await c.var.deps.blobs.get(img.id);
  if (!stream) throw new ApiError(404, `Image ${img.id} has no data.`);
  c.header("Content-Type", "application/octet-stream");
  if (img.checksum) c.header("Content-MD5", img.checksum);
  if (img.size !== null) c.header("Content-Length", String(img.size));
  return c.body(stream, 200);
}

