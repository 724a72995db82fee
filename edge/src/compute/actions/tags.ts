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

/** The 2.26 list filters: comma-separated tag lists (all of / any of / not all of / none of). */
export interface TagFilter {
  tags?: string;
  "tags-any"?: string;
  "not-tags"?: string;
  "not-tags-any"?: string;
}

/** Whether a server's tags pass Nova's four tag filters. Pure. */
export function matchesTags(tags: string[], f: TagFilter): boolean {
  const list = (v?: string) => (v ? v.split(",").filter(Boolean) : null);
  const all = list(f.tags), any = list(f["tags-any"]), notAll = list(f["not-tags"]), notAny = list(f["not-tags-any"]);
  if (all && !all.every((t) => tags.includes(t))) return false;
  if (any && !any.some((t) => tags.includes(t))) return false;
  if (notAll && notAll.every((t) => tags.includes(t))) return false;
  if (notAny && notAny.some((t) => tags.includes(t))) return false;
  return true;
}

/** Applies the tag filters (from 2.26) to a listing before pagination. */
export async function filterByTags<T extends { id: string }>(c: Ctx, rows: T[]): Promise<T[]> {
  const f: TagFilter = { tags: c.req.query("tags"), "tags-any": c.req.query("tags-any"), "not-tags": c.req.query("not-tags"), "not-tags-any": c.req.query("not-tags-any") };
  if (microversion(c) < 26 || !Object.values(f).some(Boolean)) return rows;
  const extras = await extrasOf(c.var.deps.db, rows.map((r) => r.id));
  return rows.filter((r) => matchesTags(extras.get(r.id)!.tags, f));
}
