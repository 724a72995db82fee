import type { Context, Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../lib/context.js";
import { ApiError } from "../../lib/errors.js";
import { publicBase } from "../../lib/urls.js";
import { microversion } from "../microversion.js";
import { eq } from "drizzle-orm";
import { servers } from "../../db/schema.js";
import { assertUnlocked, setExtras } from "../server-extras.js";
import { renderServer } from "../server-render.js";
import { coreServerView } from "../views.js";
import type { Caller } from "./host-action.js";
import { recordAction, registerInstanceActionRoutes } from "./instance-actions.js";
import { lockServer, unlockServer } from "./lock.js";
import { powerAction } from "./power.js";
import { rebuildBody, rebuildServer } from "./rebuild.js";
import { confirmResize, resizeServer, revertResize } from "./resize.js";
import { migrateServer } from "./migrate.js";
import { rescueBody, rescueServer, unrescueServer } from "./rescue.js";
import { registerTagRoutes } from "./tags.js";
import { changeSecurityGroup, securityGroupBody } from "./security-groups.js";
import { registerMigrationListRoute } from "./migration-list.js";

type Ctx = Context<AppEnv>;
const caller = (c: Ctx): Caller => ({ deps: c.var.deps, auth: c.var.auth, requestId: c.var.requestId });
const noArgs = z.union([z.null(), z.object({}).passthrough()]);
const resizeBody = z.object({ flavorRef: z.union([z.string().min(1), z.number().int()]).transform(String) }).passthrough();

type Handler = (c: Ctx, id: string, arg: unknown) => Promise<Response>;

const accepted = (c: Ctx) => c.body(null, 202);

/** Server actions beyond start/stop/reboot/console, by the body's single key. */
const handlers: Record<string, Handler> = {
  pause: async (c, id, arg) => (noArgs.parse(arg), await powerAction(caller(c), id, "pause"), accepted(c)),
  unpause: async (c, id, arg) => (noArgs.parse(arg), await powerAction(caller(c), id, "unpause"), accepted(c)),
  suspend: async (c, id, arg) => (noArgs.parse(arg), await powerAction(caller(c), id, "suspend"), accepted(c)),
  resume: async (c, id, arg) => (noArgs.parse(arg), await powerAction(caller(c), id, "resume"), accepted(c)),
  lock: async (c, id, arg) => (noArgs.parse(arg), await lockServer(caller(c), id, null), accepted(c)),
  unlock: async (c, id, arg) => (noArgs.parse(arg), await unlockServer(caller(c), id), accepted(c)),
  resize: async (c, id, arg) => (await resizeServer(caller(c), id, resizeBody.parse(arg).flavorRef, publicBase(c)), accepted(c)),
  confirmResize: async (c, id, arg) => (noArgs.parse(arg), await confirmResize(caller(c), id), c.body(null, 204)),
  revertResize: async (c, id, arg) => (noArgs.parse(arg), await revertResize(caller(c), id, publicBase(c)), accepted(c)),
  addSecurityGroup: async (c, id, arg) => (await changeSecurityGroup(caller(c), id, securityGroupBody.parse(arg).name, "add"), accepted(c)),
  removeSecurityGroup: async (c, id, arg) => (await changeSecurityGroup(caller(c), id, securityGroupBody.parse(arg).name, "remove"), accepted(c)),
  rescue: async (c, id, arg) => c.json({ adminPass: await rescueServer(caller(c), id, rescueBody.parse(arg), publicBase(c)) }, 200),
  unrescue: async (c, id, arg) => (noArgs.parse(arg), await unrescueServer(caller(c), id), accepted(c)),
  migrate: async (c, id, arg) => (noArgs.parse(arg), await migrateServer(caller(c), id, publicBase(c)), accepted(c)),
  rebuild: async (c, id, arg) => {
    const req = rebuildBody.parse(arg);
    if (req.description !== undefined && microversion(c) < 19) throw new ApiError(400, "Invalid input for field/attribute rebuild. Additional properties are not allowed ('description' was unexpected)");
    const { row, adminPass } = await rebuildServer(caller(c), id, req, publicBase(c));
    if (req.description !== undefined) await setExtras(c.var.deps.db, id, { description: req.description });
    return c.json({ server: { ...coreServerView(await renderServer(c, row)), adminPass } }, 202);
  },
};

/** Runs the action if it is one of ours; null lets the caller handle the rest. */
export async function runServerAction(c: Ctx, id: string, body: unknown): Promise<Response | null> {
  if (!body || typeof body !== "object") return null;
  const [action] = Object.keys(body);
  const handler = action ? handlers[action] : undefined;
  return handler ? handler(c, id, (body as Record<string, unknown>)[action!]) : null;
}

const descriptionBody = z.object({ server: z.object({ description: z.string().max(255).nullable().optional() }).passthrough() });

/** 2.19: a server's description, from create or update bodies; earlier versions refuse the field. */
export async function updateDescription(c: Ctx, serverId: string, body: unknown) {
  const { server } = descriptionBody.parse(body);
  if (server.description === undefined) return;
  if (microversion(c) < 19) throw new ApiError(400, "Invalid input for field/attribute server. Additional properties are not allowed ('description' was unexpected)");
  await setExtras(c.var.deps.db, serverId, { description: server.description });
}

/** Routes under /servers/{id} this module adds: tags and instance actions. */
export function registerActionRoutes(app: Hono<AppEnv>) {
  registerTagRoutes(app);
  registerInstanceActionRoutes(app);
  registerMigrationListRoute(app);
}

/** Records an action the core routes run (create, delete, start, stop, reboot) as Nova does. */
export async function recordCoreAction(c: Ctx, serverId: string, action: string, event: string) {
  const s = (await c.var.deps.db.select({ projectId: servers.projectId }).from(servers).where(eq(servers.id, serverId)))[0];
  if (!s) return;
  await recordAction(c.var.deps.db, { serverId, projectId: s.projectId, action, requestId: c.var.requestId, userId: c.var.auth.userId, event });
}

/** The lock check the core actions need before they change a server. */
export const assertUnlockedBy = (c: Ctx, serverId: string) => assertUnlocked(c.var.deps.db, c.var.auth, serverId);
