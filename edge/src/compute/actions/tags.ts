import type { Context, Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../lib/context.js";
import { member, reader } from "../../lib/auth.js";
import { ApiError, readJson } from "../../lib/errors.js";
import { publicBase } from "../../lib/urls.js";
import { microversion } from "../microversion.js";
import { assertUnlocked, extrasOf, setExtras } from "../server-extras.js";
import { findServer } from "../servers.js";

/** Nova's tag rules: 1-60 characters without '/' or ',', at most 50 per server. */
export const MAX_TAGS = 50;
const tag = z.string().min(1).max(60).regex(/^[^,/]*$/, "Tags may not contain '/' or ','");
const tagsBody = z.object({ tags: z.array(tag).max(MAX_TAGS) });

type Ctx = Context<AppEnv>;

/** Tags exist from 2.26; earlier the routes are unknown. */
async function taggedServer(c: Ctx, write: boolean) {
  if (microversion(c) < 26) throw new ApiError(404, "The resource could not be found.");
  const s = await findServer(c.var.deps.db, c.var.auth, c.req.param("id")!);
  if (write) await assertUnlocked(c.var.deps.db, c.var.auth, s.id);
  return { s, tags: (await extrasOf(c.var.deps.db, [s.id])).get(s.id)!.tags };
}

function checkTag(value: string) {
  const parsed = tag.safeParse(value);
  if (!parsed.success) throw new ApiError(400, `Invalid tag '${value}': ${parsed.error.issues[0]?.message}`);
}

/** /servers/{id}/tags and /servers/{id}/tags/{tag} (microversion 2.26). */
export function registerTagRoutes(app: Hono<AppEnv>) {
  app.get("/v2.1/servers/:id/tags", reader(), async (c) => c.json({ tags: (await taggedServer(c, false)).tags }));

  app.put("/v2.1/servers/:id/tags", member(), async (c) => {
    const { s } = await taggedServer(c, true);
    const { tags } = tagsBody.parse(await readJson(c));
    const unique = [...new Set(tags)];
    await setExtras(c.var.deps.db, s.id, { tags: unique });
    return c.json({ tags: unique });
  });

  app.delete("/v2.1/servers/:id/tags", member(), async (c) => {
    const { s } = await taggedServer(c, true);
    await setExtras(c.var.deps.db, s.id, { tags: [] });
    return c.body(null, 204);
  });

  app.get("/v2.1/servers/:id/tags/:tag", reader(), async (c) => {
    const { s, tags } = await taggedServer(c, false);
    const t = c.req.param("tag");
    if (!tags.includes(t)) throw new ApiError(404, `Tag ${t} could not be found on server ${s.id}.`);
    return c.body(null, 204);
  });

  app.put("/v2.1/servers/:id/tags/:tag", member(), async (c) => {
    const { s, tags } = await taggedServer(c, true);
    const t = c.req.param("tag");
    checkTag(t);
    c.header("Location", `${publicBase(c)}/compute/v2.1/servers/${s.id}/tags/${encodeURIComponent(t)}`);
    if (tags.includes(t)) return c.body(null, 204);
    if (tags.length >= MAX_TAGS) throw new ApiError(400, `The number of tags exceeds the per-server limit ${MAX_TAGS}`);
    await setExtras(c.var.deps.db, s.id, { tags: [...tags, t] });
    return c.body(null, 201);
  });

  app.delete("/v2.1/servers/:id/tags/:tag", member(), async (c) => {
    const { s, tags } = await taggedServer(c, true);
    const t = c.req.param("tag");
    if (!tags.includes(t)) throw new ApiError(404, `Tag ${t} could not be found on server ${s.id}.`);
    await setExtras(c.var.deps.db, s.id, { tags: tags.filter((x) => x !== t) });
    return c.body(null, 204);
  });
}
