import { and, eq, isNull } from "drizzle-orm";
import type { Hono } from "hono";
import { volumes } from "../db/schema.js";
import { callerProject, member, reader } from "../lib/auth.js";
import type { AppEnv } from "../lib/context.js";
import { ApiError, readJson } from "../lib/errors.js";
import { publicBase } from "../lib/urls.js";
import { runVolumeAction } from "./actions.js";
import { allTenants, listing, nextLink, queryOf, type Ctx } from "./common.js";
import { selectPage } from "./list.js";
import { registerMetadataRoutes } from "../lib/metadata-routes.js";
import { registerSummaryRoute } from "./summary.js";
import { attachmentsOf, findVolume, nowIso, typeNames, type VolumeRow } from "./store.js";
import { volumeDetail, volumeShow, volumeSummary } from "./views.js";
import { createVolume, deleteVolume, updateVolume } from "./volumes.js";

const FILTERS = ["name", "status", "metadata", "bootable", "availability_zone", "id"];

async function viewContext(c: Ctx, rows: VolumeRow[]) {
  const [attachments, types] = await Promise.all([attachmentsOf(c.var.deps.db, rows.map((r) => r.id)), typeNames(c.var.deps.db)]);
  return (v: VolumeRow) => ({ base: publicBase(c), attachments: attachments.get(v.id) ?? [], typeName: v.volumeTypeId ? (types.get(v.volumeTypeId) ?? null) : null });
}

async function listVolumes(c: Ctx, detail: boolean) {
  const { db } = c.var.deps;
  // `GET /volumes/` is a show with an empty id, as in Cinder (the app ignores trailing slashes otherwise).
  if (new URL(c.req.url).pathname.endsWith("/")) throw new ApiError(404, "Volume  could not be found.");
  const tenant = c.req.query("project_id");
  const scope = allTenants(c) ? (tenant ? eq(volumes.projectId, tenant) : undefined) : eq(volumes.projectId, callerProject(c));
  const rows = await db.select().from(volumes).where(and(isNull(volumes.deletedAt), scope));
  const ctx = await viewContext(c, rows);
  const views = rows.map((v) => ({ row: v, ...volumeShow(v, ctx(v), c.var.auth.isAdmin) }));
  const { page, more } = listing(() => selectPage(views, queryOf(c), FILTERS));
  const base = publicBase(c);
  const items = page.map(({ row, ...view }) => (detail ? view : volumeSummary(row, base)));
  return c.json({ volumes: items, ...nextLink(c, base, "volumes", page.at(-1)?.id, more) });
}

/** Volumes: CRUD, metadata and actions (os-extend, os-set_bootable, os-reset_status…). */
export function registerVolumeRoutes(app: Hono<AppEnv>) {
  const P = "/v3/:project_id/volumes";
  app.get(P, reader(), (c) => listVolumes(c, false));
  app.get(`${P}/detail`, reader(), (c) => listVolumes(c, true));
  registerSummaryRoute(app, P);

  app.get(`${P}/:id`, reader(), async (c) => {
    const v = await findVolume(c.var.deps.db, c.var.auth, c.req.param("id"));
    return c.json({ volume: volumeShow(v, (await viewContext(c, [v]))(v), c.var.auth.isAdmin) });
  });

  app.post(P, member(), async (c) => {
    const v = await createVolume(c.var.deps, c.var.auth, await readJson(c), publicBase(c));
    return c.json({ volume: volumeDetail(v, (await viewContext(c, [v]))(v)) }, 202);
  });

  app.put(`${P}/:id`, member(), async (c) => {
    const v = await updateVolume(c.var.deps, c.var.auth, c.req.param("id"), await readJson(c));
    return c.json({ volume: volumeDetail(v, (await viewContext(c, [v]))(v)) });
  });

  app.delete(`${P}/:id`, member(), async (c) => {
    await deleteVolume(c.var.deps, c.var.auth, c.req.param("id"), { cascade: ["1", "true", "True"].includes(c.req.query("cascade") ?? "") });
    return c.body(null, 202);
  });

  registerMetadataRoutes(app, P, {
    get: async (c, id) => (await findVolume(c.var.deps.db, c.var.auth, id)).metadata,
    set: async (c, id, metadata) => {
      await c.var.deps.db.update(volumes).set({ metadata, updatedAt: nowIso() }).where(eq(volumes.id, id));
    },
  });

  // Admin-only actions are checked inside (the action is in the body, not the path).
  app.post(`${P}/:id/action`, member(), async (c) => {
    return c.body(null, await runVolumeAction(c, c.req.param("id"), await readJson(c)));
  });
}
