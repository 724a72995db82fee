import { and, eq, isNull } from "drizzle-orm";
import type { Hono } from "hono";
import { volumeSnapshots } from "../db/schema.js";
import { callerProject, member, reader } from "../lib/auth.js";
import type { AppEnv } from "../lib/context.js";
import { z } from "zod";
import { forbidden, readJson } from "../lib/errors.js";
import { publicBase } from "../lib/urls.js";
import { allTenants, listing, nextLink, queryOf, type Ctx } from "./common.js";
import { selectPage } from "./list.js";
import { registerMetadataRoutes } from "../lib/metadata-routes.js";
import { createSnapshot, deleteSnapshot, forceDeleteSnapshot, setSnapshotStatus, updateSnapshot } from "./snapshots.js";
import { findSnapshot, nowIso } from "./store.js";
import { snapshotDetail, snapshotView } from "./views.js";

const FILTERS = ["name", "status", "volume_id", "metadata", "id"];

async function listSnapshots(c: Ctx, detail: boolean) {
  const scope = allTenants(c) ? undefined : eq(volumeSnapshots.projectId, callerProject(c));
  const rows = await c.var.deps.db.select().from(volumeSnapshots).where(and(isNull(volumeSnapshots.deletedAt), scope));
  const views = rows.map((s) => (detail ? snapshotDetail(s) : snapshotView(s)));
  const { page, more } = listing(() => selectPage(views, queryOf(c), FILTERS));
  return c.json({ snapshots: page, ...nextLink(c, publicBase(c), "snapshots", page.at(-1)?.id, more) });
}

/** Snapshots: CRUD and metadata. */
export function registerSnapshotRoutes(app: Hono<AppEnv>) {
  const P = "/v3/:project_id/snapshots";
  app.get(P, reader(), (c) => listSnapshots(c, false));
  app.get(`${P}/detail`, reader(), (c) => listSnapshots(c, true));
  app.get(`${P}/:id`, reader(), async (c) => c.json({ snapshot: snapshotDetail(await findSnapshot(c.var.deps.db, c.var.auth, c.req.param("id"))) }));
  app.post(P, member(), async (c) => c.json({ snapshot: snapshotView(await createSnapshot(c.var.deps, c.var.auth, await readJson(c))) }, 202));
  app.put(`${P}/:id`, member(), async (c) => c.json({ snapshot: snapshotView(await updateSnapshot(c.var.deps, c.var.auth, c.req.param("id"), await readJson(c))) }));
  app.delete(`${P}/:id`, member(), async (c) => {
    await deleteSnapshot(c.var.deps, c.var.auth, c.req.param("id"));
    return c.body(null, 202);
  });
  app.post(`${P}/:id/action`, member(), async (c) => {
    const body = z.union([
      z.object({ "os-reset_status": z.object({ status: z.string() }) }),
      z.object({ "os-update_snapshot_status": z.object({ status: z.string(), progress: z.string().optional() }) }),
      z.object({ "os-force_delete": z.unknown() }),
    ]).parse(await readJson(c));
    const { deps, auth } = c.var;
    const id = c.req.param("id");
    if (!("os-update_snapshot_status" in body) && !auth.isAdmin) throw forbidden("Policy doesn't allow this action to be performed.");
    if ("os-reset_status" in body) await setSnapshotStatus(deps, auth, id, body["os-reset_status"].status, false);
    else if ("os-update_snapshot_status" in body) await setSnapshotStatus(deps, auth, id, body["os-update_snapshot_status"].status, true, body["os-update_snapshot_status"].progress);
    else await forceDeleteSnapshot(deps, auth, id);
    return c.body(null, 202);
  });
  registerMetadataRoutes(app, P, {
    get: async (c, id) => (await findSnapshot(c.var.deps.db, c.var.auth, id)).metadata,
    set: async (c, id, metadata) => {
      await c.var.deps.db.update(volumeSnapshots).set({ metadata, updatedAt: nowIso() }).where(eq(volumeSnapshots.id, id));
    },
  });
}
