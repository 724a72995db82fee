import { and, eq, sql } from "drizzle-orm";
import type { Context, Hono } from "hono";
import { z } from "zod";
import type { Db } from "../db/client.js";
import { images } from "../db/schema.js";
import { member, reader } from "../lib/auth.js";
import type { AppEnv } from "../lib/context.js";
import { ApiError, readJson } from "../lib/errors.js";
import type { BlobStore } from "./blob-store.js";
import { assertOwner, claimStatus, findImage, stageKey, storeImageData } from "./service.js";
import { STORE_ID } from "./views.js";
import { checkWebDownloadUri } from "./web-download-url.js";

export const IMPORT_METHODS = ["glance-direct", "web-download"] as const;

const importBody = z.object({
  method: z.object({ name: z.string(), uri: z.string().optional() }).passthrough(),
  stores: z.array(z.string()).optional(),
  all_stores: z.boolean().optional(),
  all_stores_must_succeed: z.boolean().optional(),
});

/** Import bookkeeping lives in Glance's reserved os_glance_* properties, updated atomically in SQL. */
function setImportProps(db: Db, id: string, importing: string, failed: string) {
  const props = sql`json_set(${images.properties}, '$.os_glance_importing_to_stores', ${importing}, '$.os_glance_failed_import', ${failed})`;
  return db.update(images).set({ properties: props as never }).where(eq(images.id, id));
}

/** Fetches `uri` for web-download; a redirect is checked like the URI itself. */
async function download(uri: string): Promise<ReadableStream<Uint8Array>> {
  let url = checkWebDownloadUri(uri);
  for (let hops = 0; hops < 5; hops++) {
    const res = await fetch(url, { redirect: "manual" });
    const location = res.headers.get("Location");
    if (res.status >= 300 && res.status < 400 && location) {
      url = checkWebDownloadUri(new URL(location, url).toString());
      continue;
    }
    if (!res.ok || !res.body) throw new Error(`web-download of ${uri} answered ${res.status}`);
    return res.body;
  }
  throw new Error(`web-download of ${uri}: too many redirects`);
}

/** The import itself, after the 202: bytes from the stage or the web into the store, then active. */
async function runImport(db: Db, blobs: BlobStore, id: string, method: string, uri?: string) {
  try {
    const body = method === "web-download" ? await download(uri!) : await blobs.get(stageKey(id));
    if (!body) throw new Error("staged data is missing");
    await storeImageData(db, blobs, id, body, { during: "importing" });
    await setImportProps(db, id, "", "");
  } catch (err) {
    console.error(`image ${id}: ${method} import failed:`, err instanceof Error ? err.message : err);
    await setImportProps(db, id, "", STORE_ID);
    await db.update(images).set({ status: "queued" }).where(and(eq(images.id, id), eq(images.status, "importing")));
  } finally {
    if (method === "glance-direct") await blobs.delete(stageKey(id)).catch(() => undefined);
  }
}

/** Keeps work running after the response: waitUntil on Workers, a detached promise on Node. */
function inBackground(c: Context<AppEnv>, work: Promise<unknown>) {
  const done = work.catch((err) => console.error("background image task failed", err));
  try {
    c.executionCtx.waitUntil(done);
  } catch {
    // Node has no execution context; the process outlives the response.
  }
}

/** Interoperable image import: discovery, glance-direct (stage then import) and web-download. */
export function mountImport(app: Hono<AppEnv>) {
  app.get("/v2/info/import", reader(), (c) =>
    c.json({ "import-methods": { description: "Import methods available.", type: "array", value: [...IMPORT_METHODS] } }));

  app.get("/v2/info/stores", reader(), (c) =>
    c.json({ stores: [{ id: STORE_ID, description: "Nimbus image store", default: true }] }));

  app.put("/v2/images/:id/stage", member(), async (c) => {
    const { db, blobs } = c.var.deps;
    const img = await findImage(db, c.var.auth, c.req.param("id"));
    assertOwner(c.var.auth, img, "stage data for");
    if (!c.req.raw.body) throw new ApiError(400, "The request body is empty.");
    await claimStatus(db, img.id, ["queued"], "uploading", `Image ${img.id} is not queued; data can only be staged once.`);
    try {
      await blobs.put(stageKey(img.id), c.req.raw.body);
    } catch (err) {
      await blobs.delete(stageKey(img.id)).catch(() => undefined);
      await db.update(images).set({ status: "queued" }).where(and(eq(images.id, img.id), eq(images.status, "uploading")));
      throw err;
    }
    return c.body(null, 204);
  });

  app.post("/v2/images/:id/import", member(), async (c) => {
    const { db, blobs } = c.var.deps;
    const img = await findImage(db, c.var.auth, c.req.param("id"));
    assertOwner(c.var.auth, img, "import data for");
    const body = importBody.parse(await readJson(c));
    const method = body.method.name;
    if (!(IMPORT_METHODS as readonly string[]).includes(method)) throw new ApiError(400, `Import method ${method} is not supported.`);
    const unknownStore = body.stores?.find((s) => s !== STORE_ID);
    if (unknownStore) throw new ApiError(400, `Unknown store ${unknownStore}.`);
    if (!img.diskFormat || !img.containerFormat) throw new ApiError(400, "'disk_format' and 'container_format' must be set prior to importing data.");
    if (method === "web-download") {
      if (!body.method.uri) throw new ApiError(400, "web-download needs method.uri.");
      checkWebDownloadUri(body.method.uri);
    }
    const from = method === "glance-direct" ? "uploading" : "queued";
    await claimStatus(db, img.id, [from], "importing", `Image ${img.id} must be ${from} to import it with ${method} (it is ${img.status}).`);
    await db.update(images).set({ properties: sql`json_set(${images.properties}, '$.os_glance_import_task', ${crypto.randomUUID()}, '$.os_glance_importing_to_stores', ${STORE_ID}, '$.os_glance_failed_import', '')` as never }).where(eq(images.id, img.id));
    inBackground(c, runImport(db, blobs, img.id, method, body.method.uri));
    return c.body(null, 202);
  });
}
