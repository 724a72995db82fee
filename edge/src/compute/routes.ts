import { and, desc, eq, isNull } from "drizzle-orm";
import { Hono, type Context } from "hono";
import { z } from "zod";
import { flavors, servers } from "../db/schema.js";
import { authenticate, member, reader } from "../lib/auth.js";
import type { AppEnv } from "../lib/context.js";
import { ApiError, errorHandler, readJson } from "../lib/errors.js";
import { publicBase } from "../lib/urls.js";
import { assertUnlockedBy, recordCoreAction, registerActionRoutes, runServerAction, updateDescription } from "./actions/index.js";
import { MAX_MICROVERSION, MIN_MICROVERSION, microversions } from "./microversion.js";
import { filterByTags } from "./actions/tags.js";
import { renderServer, renderServers } from "./server-render.js";
import { selectFlavors } from "./flavor-query.js";
import { accessibleFlavorIds, findVisibleFlavor, registerFlavorManageRoutes } from "./flavor-manage.js";
import { registerQuotaRoutes } from "./quotas.js";
import { registerComputeResourceRoutes } from "./resources.js";
import { evacuateServer } from "./evacuate.js";
import { registerKeypairRoutes } from "./keypairs.js";
import { registerInterfaceRoutes } from "./interfaces.js";
import { addressesOf } from "./server-ports.js";
import type { DbOrTx } from "../db/client.js";
import { MarkerNotFound, selectServers } from "./server-query.js";
import { registerServerMetadataRoutes } from "./server-metadata.js";
import { createImageAction } from "./create-image.js";
import { consoleOutput, createServer, deleteServer, findServer, runAction, updateServer } from "./servers.js";
import { registerVolumeAttachmentRoutes } from "./volume-attachments.js";
import { coreServerView, flavorDetail, flavorSummary, serverDetail, serverSummary } from "./views.js";

const novaKinds: Record<number, string> = { 400: "badRequest", 401: "unauthorized", 403: "forbidden", 404: "itemNotFound", 406: "notAcceptable", 409: "conflictingRequest", 413: "overLimit" };
const novaError = (e: ApiError) => ({ [novaKinds[e.status] ?? "computeFault"]: { code: e.status, message: e.message } });

type Ctx = Context<AppEnv>;

/** ISO 8601 date-time as Nova accepts it (JavaScript's Date.parse alone takes `2011/01/01`). */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

const versionDoc = (base: string, id: "v2.0" | "v2.1") => ({
  id, status: id === "v2.1" ? "CURRENT" : "SUPPORTED", version: id === "v2.1" ? MAX_MICROVERSION : "", min_version: id === "v2.1" ? MIN_MICROVERSION : "",
  updated: "2013-07-23T11:33:21Z", links: [{ rel: "self", href: `${base}/compute/${id}/` }],
  "media-types": [{ base: "application/json", type: "application/vnd.openstack.compute+json;version=2.1" }],
});

const noArgs = z.union([z.null(), z.object({}).passthrough()]);
const actionBody = z.union([
  z.object({ "os-start": noArgs }),
  z.object({ "os-stop": noArgs }),
  z.object({ reboot: z.object({ type: z.enum(["SOFT", "HARD", "soft", "hard"]) }) }),
  z.object({ "os-getConsoleOutput": z.object({ length: z.union([z.number().int(), z.string().regex(/^-?\d+$/), z.null()]).optional() }) }),
]);
/** Actions Nimbus knows but that need a state no server here can be in (no soft delete yet). */
const softDeleteActions = ["restore", "forceDelete"];

/** Nova's `servers_links`: a next link when a limited page came back full. */
function pageLinks(c: Ctx, base: string, page: Array<{ id: string }>, limit: string | undefined) {
  if (limit === undefined || page.length === 0 || page.length < Number(limit)) return {};
  const url = new URL(c.req.url);
  url.searchParams.set("marker", page[page.length - 1].id);
  return { servers_links: [{ rel: "next", href: `${base}/compute${url.pathname.replace(/^\/compute/, "")}?${url.searchParams}` }] };
}

/** Each server's fixed IPs, for the `ip` filter (one query; none when the filter is not asked for). */
async function fixedIpsOf(db: DbOrTx, serverIds: string[]): Promise<(serverId: string) => string[]> {
  const byServer = await addressesOf(db, serverIds);
  return (id) => (byServer.get(id) ?? []).map((a) => a.ip);
}

async function listServers(c: Ctx, detail: boolean) {
  const { db } = c.var.deps;
  const auth = c.var.auth;
  const allTenants = auth.isAdmin && ["1", "true", "True"].includes(c.req.query("all_tenants") ?? "");
  const scope = allTenants ? undefined : eq(servers.projectId, auth.projectId ?? "");
  const rows = await filterByTags(c, await db.select().from(servers).where(and(isNull(servers.deletedAt), scope)).orderBy(desc(servers.createdAt)));
  const limit = c.req.query("limit");
  if (limit !== undefined && !/^\d+$/.test(limit)) throw new ApiError(400, `limit must be a non-negative integer, not ${limit}`);
  const since = c.req.query("changes-since");
  if (since !== undefined && (!ISO_8601.test(since) || Number.isNaN(Date.parse(since)))) throw new ApiError(400, `Invalid input for query parameters changes-since: '${since}' is not a 'date-time'`);
  let selected;
  try {
    selected = selectServers(rows, {
      name: c.req.query("name"), status: c.req.query("status"), flavor: c.req.query("flavor"), image: c.req.query("image"),
      changesSince: c.req.query("changes-since"), marker: c.req.query("marker"), limit: limit === undefined ? undefined : Number(limit),
      ip: c.req.query("ip"),
    }, await fixedIpsOf(db, c.req.query("ip") ? rows.map((r) => r.id) : []));
  } catch (err) {
    if (err instanceof MarkerNotFound) throw new ApiError(400, err.message);
    throw err;
  }
  const base = publicBase(c);
  const links = pageLinks(c, base, selected, limit);
  if (!detail) return c.json({ servers: selected.map((s) => serverSummary(s, base)), ...links });
  return c.json({ servers: await renderServers(c, selected), ...links });
}

/** Nova v2.1: versions, flavors and servers. */
export function computeApp() {
  const app = new Hono<AppEnv>();
  app.onError(errorHandler(novaError));
  app.use("*", microversions());

  app.get("/", (c) => c.json({ versions: [versionDoc(publicBase(c), "v2.0"), versionDoc(publicBase(c), "v2.1")] }));
  app.get("/v2.1", (c) => c.json({ version: versionDoc(publicBase(c), "v2.1") }));
  app.get("/v2.0", (c) => c.json({ version: versionDoc(publicBase(c), "v2.0") }));

  app.use("/v2.1/*", authenticate());

  const listFlavors = async (c: Ctx, view: typeof flavorSummary) => {
    const rows = await c.var.deps.db.select().from(flavors);
    try {
      return c.json({ flavors: selectFlavors(rows, c.req.query(), c.var.auth.isAdmin, await accessibleFlavorIds(c.var.deps.db, c.var.auth.projectId)).map((f) => view(f, publicBase(c))) });
    } catch (err) {
      if (err instanceof RangeError) throw new ApiError(400, err.message);
      throw err;
    }
  };
  app.get("/v2.1/flavors", reader(), (c) => listFlavors(c, flavorSummary));
  app.get("/v2.1/flavors/detail", reader(), (c) => listFlavors(c, flavorDetail));
  app.get("/v2.1/flavors/:id", reader(), async (c) => {
    const row = await findVisibleFlavor(c.var.deps.db, c.var.auth, c.req.param("id"));
    return c.json({ flavor: flavorDetail(row, publicBase(c)) });
  });

  registerFlavorManageRoutes(app);
  registerQuotaRoutes(app);
  registerComputeResourceRoutes(app);

  registerKeypairRoutes(app);
  registerActionRoutes(app);
  registerServerMetadataRoutes(app);
  registerVolumeAttachmentRoutes(app);
  registerInterfaceRoutes(app);

  app.get("/v2.1/servers", reader(), (c) => listServers(c, false));
  app.get("/v2.1/servers/detail", reader(), (c) => listServers(c, true));

  app.get("/v2.1/servers/:id", reader(), async (c) => {
    const s = await findServer(c.var.deps.db, c.var.auth, c.req.param("id"));
    return c.json({ server: await renderServer(c, s) });
  });

  const ipsOf = async (c: Ctx) => {
    const s = await findServer(c.var.deps.db, c.var.auth, c.req.param("id")!);
    const byNetwork: Record<string, Array<{ version: number; addr: string }>> = {};
    for (const a of (await addressesOf(c.var.deps.db, [s.id])).get(s.id) ?? []) (byNetwork[a.network] ??= []).push({ version: 4, addr: a.ip });
    return byNetwork;
  };
  app.get("/v2.1/servers/:id/ips", reader(), async (c) => c.json({ addresses: await ipsOf(c) }));
  app.get("/v2.1/servers/:id/ips/:network", reader(), async (c) => {
    const network = c.req.param("network");
    const ips = (await ipsOf(c))[network];
    if (!ips) throw new ApiError(404, `Instance is not a member of specified network`);
    return c.json({ [network]: ips });
  });

  app.post("/v2.1/servers", member(), async (c) => {
    const body = await readJson(c);
    const { id, adminPass } = await createServer(c.var.deps, c.var.auth, body, publicBase(c));
    await updateDescription(c, id, body);
    await recordCoreAction(c, id, "create", "compute__do_build_and_run_instance");
    const base = publicBase(c);
    return c.json({ server: { id, links: [{ rel: "self", href: `${base}/compute/v2.1/servers/${id}` }, { rel: "bookmark", href: `${base}/compute/servers/${id}` }], "OS-DCF:diskConfig": "MANUAL", security_groups: [{ name: "default" }], adminPass } }, 202);
  });

  app.put("/v2.1/servers/:id", member(), async (c) => {
    const body = await readJson(c);
    const s = await updateServer(c.var.deps, c.var.auth, c.req.param("id"), body);
    await updateDescription(c, s.id, body);
    return c.json({ server: coreServerView(await renderServer(c, s)) });
  });

  app.delete("/v2.1/servers/:id", member(), async (c) => {
    await assertUnlockedBy(c, (await findServer(c.var.deps.db, c.var.auth, c.req.param("id"))).id);
    await deleteServer(c.var.deps, c.var.auth, c.req.param("id"));
    await recordCoreAction(c, c.req.param("id"), "delete", "compute_terminate_instance");
    return c.body(null, 204);
  });

  app.post("/v2.1/servers/:id/action", member(), async (c) => {
    const id = c.req.param("id");
    const deps = c.var.deps;
    const raw = await readJson(c);
    const server = await findServer(deps.db, c.var.auth, id); // an unknown server is 404 whatever the action
    const action = raw && typeof raw === "object" ? Object.keys(raw)[0] : undefined;
    if (action && softDeleteActions.includes(action)) throw new ApiError(409, `Cannot '${action}' instance ${id} while it is in vm_state ${server.vmState}`);
    if (action === "createImage") return createImageAction(c, server, raw);
    if (action === "evacuate") return c.json(await evacuateServer(deps, c.var.auth, server, (raw as { evacuate: unknown }).evacuate, publicBase(c)));
    const handled = await runServerAction(c, id, raw);
    if (handled) return handled;
    const body = actionBody.parse(raw);
    if (!("os-getConsoleOutput" in body)) await assertUnlockedBy(c, id);
    const core = "os-start" in body ? "start" : "os-stop" in body ? "stop" : "reboot" in body ? "reboot" : null;
    if ("os-start" in body) await runAction(deps, c.var.auth, id, "start");
    else if ("os-stop" in body) await runAction(deps, c.var.auth, id, "stop");
    else if ("reboot" in body) await runAction(deps, c.var.auth, id, "reboot", { hard: body.reboot.type.toUpperCase() === "HARD" });
    else {
      const raw = body["os-getConsoleOutput"].length;
      const length = raw === undefined || raw === null || Number(raw) < 0 ? null : Number(raw);
      return c.json({ output: await consoleOutput(deps, c.var.auth, id, length) });
    }
    if (core) await recordCoreAction(c, id, core, `compute_${core}_instance`);
    return c.body(null, 202);
  });

  return app;
}
