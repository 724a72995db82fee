import type { Context, Hono } from "hono";
import { z } from "zod";
import { member, reader } from "./auth.js";
import type { AppEnv } from "./context.js";
import { ApiError, readJson } from "./errors.js";

type Ctx = Context<AppEnv>;
/** Nova and Cinder metadata: keys of 1–255 characters, values up to 255. */
export const metadataSchema = z.record(z.string().min(1).max(255), z.string().max(255));
const metadataBody = z.object({ metadata: metadataSchema });
const metaItemBody = z.object({ meta: metadataSchema });

export interface MetadataStore {
  /** The resource's metadata (after the caller's visibility check; throws 404). */
  get(c: Ctx, id: string): Promise<Record<string, string>>;
  set(c: Ctx, id: string, metadata: Record<string, string>): Promise<void>;
  /** What a deleted item answers: Cinder 200, Nova 204. */
  deleteStatus?: 200 | 204;
}

/** The metadata sub-resource Nova (servers) and Cinder (volumes, snapshots) share: list, merge (POST), replace (PUT), item CRUD. */
export function registerMetadataRoutes(app: Hono<AppEnv>, prefix: string, store: MetadataStore) {
  app.get(`${prefix}/:id/metadata`, reader(), async (c) => c.json({ metadata: await store.get(c, c.req.param("id")) }));

  app.post(`${prefix}/:id/metadata`, member(), async (c) => {
    const { metadata } = metadataBody.parse(await readJson(c));
    const merged = { ...(await store.get(c, c.req.param("id"))), ...metadata };
    await store.set(c, c.req.param("id"), merged);
    return c.json({ metadata: merged });
  });

  app.put(`${prefix}/:id/metadata`, member(), async (c) => {
    const { metadata } = metadataBody.parse(await readJson(c));
    await store.get(c, c.req.param("id"));
    await store.set(c, c.req.param("id"), metadata);
    return c.json({ metadata });
  });

  app.get(`${prefix}/:id/metadata/:key`, reader(), async (c) => {
    const key = c.req.param("key");
    const metadata = await store.get(c, c.req.param("id"));
    if (!(key in metadata)) throw new ApiError(404, `Metadata item was not found`);
    return c.json({ meta: { [key]: metadata[key] } });
  });

  app.put(`${prefix}/:id/metadata/:key`, member(), async (c) => {
    const key = c.req.param("key");
    const { meta } = metaItemBody.parse(await readJson(c));
    const keys = Object.keys(meta);
    if (keys.length !== 1) throw new ApiError(400, "Request body contains too many items");
    if (keys[0] !== key) throw new ApiError(400, "Request body and URI mismatch");
    const metadata = await store.get(c, c.req.param("id"));
    await store.set(c, c.req.param("id"), { ...metadata, ...meta });
    return c.json({ meta });
  });

  app.delete(`${prefix}/:id/metadata/:key`, member(), async (c) => {
    const key = c.req.param("key");
    const metadata = await store.get(c, c.req.param("id"));
    if (!(key in metadata)) throw new ApiError(404, `Metadata item was not found`);
    const { [key]: _gone, ...rest } = metadata;
    await store.set(c, c.req.param("id"), rest);
    return c.body(null, store.deleteStatus ?? 200);
  });
}
