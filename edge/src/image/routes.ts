import { eq } from "drizzle-orm";
import { Hono, type Context } from "hono";
import { imageMembers, images } from "../db/schema.js";
import { authenticate, member, reader } from "../lib/auth.js";
import type { AppEnv } from "../lib/context.js";
import { ApiError, errorHandler, readJson, statusTitle } from "../lib/errors.js";
import { publicBase } from "../lib/urls.js";
import { assertWritable, checkValue, coreAttributes, isCore, type ImageDoc } from "./attributes.js";
import { IMPORT_METHODS, mountImport } from "./import.js";
import { listImages } from "./list.js";
import { mountMembers } from "./members.js";
import { applyPatch, parsePatch, PATCH_MEDIA_TYPES } from "./patch.js";
import { parseRange } from "./range.js";
import { imageSchema, imagesSchema, memberSchema, membersSchema } from "./schemas.js";
import { assertOwner, declaredSize, findImage, stageKey, uploadImageData, visibleTo } from "./service.js";
import { docOf, imageView, rowOf, STORE_ID, type ImageRow } from "./views.js";

const glanceError = (e: ApiError) => ({ code: e.status, title: statusTitle(e.status), message: e.message });
type Ctx = Context<AppEnv>;

/** Newest first, as Glance lists them; only versions whose features Nimbus serves. */
const VERSIONS = ["2.9", "2.8", "2.7", "2.6", "2.5", "2.4", "2.3", "2.2", "2.1", "2.0"];

/** Defaults of a new image's core attributes. */
const newDoc = (owner: string): ImageDoc => ({
  core: { name: null, visibility: "shared", protected: false, os_hidden: false, disk_format: null, container_format: null, min_disk: 0, min_ram: 0, tags: [], owner },
  properties: {},
});

/** Policy checks on an edited doc that depend on who asks and on the image's state. */
function checkChange(c: Ctx, before: ImageDoc, after: ImageDoc, status: string) {
  const auth = c.var.auth;
  if (after.core.visibility === "public" && before.core.visibility !== "public" && !auth.isAdmin) throw new ApiError(403, "You are not authorized to publicize images.");
  if (after.core.owner !== before.core.owner && !auth.isAdmin) throw new ApiError(403, "Attribute 'owner' can only be changed by an administrator.");
  for (const k of ["disk_format", "container_format"] as const) {
    if (after.core[k] !== before.core[k] && status !== "queued") throw new ApiError(403, `Attribute ${k} can be only replaced for a queued image.`);
  }
}

/** Glance v2: image records, their data, sharing, import and schemas. */
export function imageApp() {
  const app = new Hono<AppEnv>();
  app.onError(errorHandler(glanceError));

  const versions = (c: Ctx) => ({
    versions: VERSIONS.map((v, i) => ({ id: `v${v}`, status: i === 0 ? "CURRENT" : "SUPPORTED", links: [{ rel: "self", href: `${publicBase(c)}/image/v2/` }] })),
  });
  app.get("/", (c) => c.json(versions(c), 300));
  app.get("/versions", (c) => c.json(versions(c), 200));

  app.use("/v2/*", authenticate());

  app.get("/v2/schemas/image", reader(), (c) => c.json(imageSchema));
  app.get("/v2/schemas/images", reader(), (c) => c.json(imagesSchema));
  app.get("/v2/schemas/member", reader(), (c) => c.json(memberSchema));
  app.get("/v2/schemas/members", reader(), (c) => c.json(membersSchema));

  app.get("/v2/images", reader(), async (c) => {
    // `GET /v2/images/` is a show with an empty id in Glance, not a list.
    if (new URL(c.req.url).pathname.endsWith("/")) throw new ApiError(404, "No image found with ID ''");
    const { db } = c.var.deps;
    const auth = c.var.auth;
    const [rows, memberships] = await Promise.all([
      db.select().from(images).where(visibleTo(auth)),
      db.select().from(imageMembers).where(eq(imageMembers.memberId, auth.projectId ?? "")),
    ]);
    const viewer = { isAdmin: auth.isAdmin, projectId: auth.projectId, memberships: new Map(memberships.map((m) => [m.imageId, m.status])) };
    const page = listImages(rows.map(imageView), viewer, c.req.queries() as Record<string, string[]>);
    return c.json({ images: page.images, first: "/v2/images", schema: "/v2/schemas/images", ...(page.next ? { next: page.next } : {}) });
  });

  app.get("/v2/images/:id", reader(), async (c) => c.json(imageView(await findImage(c.var.deps.db, c.var.auth, c.req.param("id")))));

  app.post("/v2/images", member(), async (c) => {
    const body = await readJson(c);
    if (!body || typeof body !== "object" || Array.isArray(body)) throw new ApiError(400, "The request body must be a JSON object.");
    const auth = c.var.auth;
    const base = newDoc(auth.projectId!);
    const doc: ImageDoc = { core: { ...base.core }, properties: {} };
    let id: string = crypto.randomUUID();
    for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
      if (k === "id") {
        if (typeof v !== "string" || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v)) throw new ApiError(400, "Invalid value for 'id': it must be a UUID.");
        id = v;
        continue;
      }
      assertWritable(k);
      if (isCore(k)) (doc.core as Record<string, unknown>)[k] = checkValue(k, v);
      else doc.properties[k] = checkValue(k, v) as string;
    }
    checkChange(c, base, doc, "queued");
    const [created] = await c.var.deps.db.insert(images).values({ id, ...rowOf(doc) }).onConflictDoNothing().returning();
    if (!created) throw new ApiError(409, `An image with identifier ${id} already exists.`);
    // Clients (openstacksdk) learn from these headers whether `--import` can be used.
    return c.json(imageView(created), 201, {
      Location: `${publicBase(c)}/image/v2/images/${id}`, "OpenStack-image-import-methods": IMPORT_METHODS.join(","), "OpenStack-image-store-ids": STORE_ID,
    });
  });

  app.patch("/v2/images/:id", member(), async (c) => {
    const type = (c.req.header("Content-Type") ?? "").split(";")[0].trim();
    if (!PATCH_MEDIA_TYPES.includes(type)) {
      c.header("Accept-Patch", PATCH_MEDIA_TYPES.join(", "));
      throw new ApiError(415, `Unsupported Content-Type ${type || "(none)"}: use ${PATCH_MEDIA_TYPES[0]}.`);
    }
    const { db } = c.var.deps;
    const img = await findImage(db, c.var.auth, c.req.param("id"));
    const ops = parsePatch(await readJson(c));
    assertOwner(c.var.auth, img, "modify");
    const before = docOf(img);
    const after = applyPatch(before, ops);
    checkChange(c, before, after, img.status);
    const [updated] = await db.update(images).set({ ...rowOf(after), updatedAt: new Date().toISOString() }).where(eq(images.id, img.id)).returning();
    if (!updated) throw new ApiError(404, `No image found with ID ${img.id}`);
    return c.json(imageView(updated));
  });

  app.delete("/v2/images/:id", member(), async (c) => {
    const { db, blobs } = c.var.deps;
    const img = await findImage(db, c.var.auth, c.req.param("id"));
    assertOwner(c.var.auth, img, "delete");
    if (img.protected) throw new ApiError(403, `Image ${img.id} is protected and cannot be deleted.`);
    await db.delete(images).where(eq(images.id, img.id));
    await Promise.all([blobs.delete(img.id), blobs.delete(stageKey(img.id))]);
    return c.body(null, 204);
  });

  const setActivation = (to: "active" | "deactivated") => async (c: Ctx) => {
    const { db } = c.var.deps;
    const img = await findImage(db, c.var.auth, c.req.param("id")!);
    assertOwner(c.var.auth, img, to === "active" ? "reactivate" : "deactivate");
    if (img.status !== "active" && img.status !== "deactivated") {
      throw new ApiError(403, `Not allowed to ${to === "active" ? "reactivate" : "deactivate"} image in status '${img.status}'`);
    }
    await db.update(images).set({ status: to, updatedAt: new Date().toISOString() }).where(eq(images.id, img.id));
    return c.body(null, 204);
  };
  app.post("/v2/images/:id/actions/deactivate", member(), setActivation("deactivated"));
  app.post("/v2/images/:id/actions/reactivate", member(), setActivation("active"));

  app.put("/v2/images/:id/tags/:tag", member(), async (c) => {
    const { db } = c.var.deps;
    const img = await findImage(db, c.var.auth, c.req.param("id"));
    assertOwner(c.var.auth, img, "modify");
    const tags = coreAttributes.tags.safeParse([...img.tags, c.req.param("tag")]);
    if (!tags.success) throw new ApiError(400, "Invalid tag: tags are 1 to 255 characters, at most 128 per image.");
    await db.update(images).set({ tags: tags.data, updatedAt: new Date().toISOString() }).where(eq(images.id, img.id));
    return c.body(null, 204);
  });

  app.delete("/v2/images/:id/tags/:tag", member(), async (c) => {
    const { db } = c.var.deps;
    const img = await findImage(db, c.var.auth, c.req.param("id"));
    assertOwner(c.var.auth, img, "modify");
    const tag = c.req.param("tag");
    if (!img.tags.includes(tag)) throw new ApiError(404, `Tag ${tag} not found on image ${img.id}.`);
    await db.update(images).set({ tags: img.tags.filter((t) => t !== tag), updatedAt: new Date().toISOString() }).where(eq(images.id, img.id));
    return c.body(null, 204);
  });

  app.put("/v2/images/:id/file", member(), async (c) => {
    const { db, blobs } = c.var.deps;
    const img = await findImage(db, c.var.auth, c.req.param("id"));
    assertOwner(c.var.auth, img, "upload data for");
    const type = (c.req.header("Content-Type") ?? "application/octet-stream").split(";")[0].trim();
    if (type !== "application/octet-stream") throw new ApiError(415, `Content-Type ${type} is not supported for image data; use application/octet-stream.`);
    if (!img.diskFormat || !img.containerFormat) throw new ApiError(400, "Properties disk_format and container_format must be set prior to uploading data.");
    if (!c.req.raw.body) throw new ApiError(400, "The request body is empty.");
    await uploadImageData(db, blobs, img.id, c.req.raw.body, declaredSize(c.req.header("Content-Length")));
    return c.body(null, 204);
  });

  app.get("/v2/images/:id/file", reader(), async (c) => {
    const img = await findImage(c.var.deps.db, c.var.auth, c.req.param("id"));
    if (img.status === "deactivated" && !c.var.auth.isAdmin) throw new ApiError(403, "The requested image has been deactivated. Image data download is prohibited.");
    return serveImageData(c, img);
  });

  mountMembers(app);
  mountImport(app);
  return app;
}

/**
 * Streams an image's bytes with Glance's Content-MD5 (the hex checksum): 204 while there is no
 * data, 206 for a satisfiable Range, 416 otherwise.
 */
export async function serveImageData(c: Ctx, img: ImageRow) {
  if ((img.status !== "active" && img.status !== "deactivated") || img.size === null) return c.body(null, 204);
  const range = parseRange(c.req.header("Range"), img.size);
  if (range === "unsatisfiable") {
    c.header("Content-Range", `bytes */${img.size}`);
    throw new ApiError(416, `Requested range not satisfiable (image size ${img.size}).`);
  }
  const stream = await c.var.deps.blobs.get(img.id, range ?? undefined);
  if (!stream) throw new ApiError(404, `Image ${img.id} has no data.`);
  c.header("Content-Type", "application/octet-stream");
  if (img.checksum) c.header("Content-MD5", img.checksum);
  if (!range) {
    c.header("Content-Length", String(img.size));
    return c.body(stream, 200);
  }
  c.header("Content-Length", String(range.length));
  c.header("Content-Range", `bytes ${range.offset}-${range.offset + range.length - 1}/${img.size}`);
  return c.body(stream, 206);
}
