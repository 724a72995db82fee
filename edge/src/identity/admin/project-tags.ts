import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { projects } from "../../db/schema.js";
import { authenticate, requireRole } from "../../lib/auth.js";
import type { AppEnv } from "../../lib/context.js";
import { badRequest, notFound } from "../../lib/errors.js";
import { parseBody, type Ctx } from "./common.js";
import { tag as tagSchema, tagsBody } from "./schemas.js";
import { getProject } from "./store.js";

const MAX_TAGS = 80;

/** Keystone's `tags`, `tags-any`, `not-tags` and `not-tags-any` list filters (comma-separated). */
export function matchesTagFilters(tags: string[], q: Record<string, string | undefined>): boolean {
  const list = (k: string) => (q[k] === undefined ? undefined : q[k]!.split(",").filter(Boolean));
  const all = list("tags"), any = list("tags-any"), notAll = list("not-tags"), notAny = list("not-tags-any");
  const has = (t: string) => tags.includes(t);
  return (!all || all.every(has)) && (!any || any.some(has)) && (!notAll || !notAll.every(has)) && (!notAny || !notAny.some(has));
}

async function setTags(c: Ctx, id: string, tags: string[]) {
  await c.var.deps.db.update(projects).set({ tags, updatedAt: new Date().toISOString() }).where(eq(projects.id, id));
}

const tagOf = (c: Ctx) => {
  const parsed = tagSchema.safeParse(c.req.param("tag"));
  if (!parsed.success) throw badRequest("Tags are 1 to 255 characters without '/' or ','.", "ValidationError");
  return parsed.data;
};

/** Keystone's project tags API: the tags of one project, as a set. */
export function projectTagRoutes() {
  const app = new Hono<AppEnv>();
  const admin = [authenticate(), requireRole("admin")] as const;

  app.get("/projects/:id/tags", ...admin, async (c) => c.json({ tags: (await getProject(c.var.deps.db, c.req.param("id"))).tags }));

  app.put("/projects/:id/tags", ...admin, async (c) => {
    const project = await getProject(c.var.deps.db, c.req.param("id"));
    const tags = [...new Set((await parseBody(c, tagsBody)).tags)];
    await setTags(c, project.id, tags);
    return c.json({ tags });
  });

  app.delete("/projects/:id/tags", ...admin, async (c) => {
    await setTags(c, (await getProject(c.var.deps.db, c.req.param("id"))).id, []);
    return c.body(null, 204);
  });

  // HEAD comes here too.
  app.get("/projects/:id/tags/:tag", ...admin, async (c) => {
    const project = await getProject(c.var.deps.db, c.req.param("id"));
    if (!project.tags.includes(c.req.param("tag"))) throw notFound(`Tag ${c.req.param("tag")} not found on project ${project.id}.`, "ProjectTagNotFound");
    return c.body(null, 204);
  });

  app.put("/projects/:id/tags/:tag", ...admin, async (c) => {
    const project = await getProject(c.var.deps.db, c.req.param("id"));
    const tag = tagOf(c);
    if (!project.tags.includes(tag)) {
      if (project.tags.length >= MAX_TAGS) throw badRequest(`A project has at most ${MAX_TAGS} tags.`, "ValidationError");
      await setTags(c, project.id, [...project.tags, tag]);
    }
    c.header("Location", c.req.url);
    return c.body(null, 201);
  });

  app.delete("/projects/:id/tags/:tag", ...admin, async (c) => {
    const project = await getProject(c.var.deps.db, c.req.param("id"));
    const tag = c.req.param("tag");
    if (!project.tags.includes(tag)) throw notFound(`Tag ${tag} not found on project ${project.id}.`, "ProjectTagNotFound");
    await setTags(c, project.id, project.tags.filter((t) => t !== tag));
    return c.body(null, 204);
  });

  return app;
}
