import { eq } from "drizzle-orm";
import { z } from "zod";
import { volumeAttachments, volumes } from "../db/schema.js";
import { forbidden } from "../lib/errors.js";
import { ApiError } from "../lib/errors.js";
import type { Ctx } from "./common.js";
import { EXTEND_IN_USE_VERSION, negotiateVolumeVersion, volumeVersionAtLeast } from "./microversion.js";
import { newSizeSchema, parseBool } from "./schemas.js";
import { canStartVolumeOp, invalidStatusMessage, isVolumeStatus } from "./state.js";
import { findType, findVolume, nowIso } from "./store.js";
import { deleteVolume, extendVolume } from "./volumes.js";

type Status = 200 | 202;
type Handler = (c: Ctx, id: string, args: unknown) => Promise<Status>;

const requireAdmin = (c: Ctx) => {
  if (!c.var.auth.isAdmin) throw forbidden("Policy doesn't allow this action to be performed.");
};
const bad = (msg: string) => new ApiError(400, msg);

const setFields = async (c: Ctx, id: string, fields: Partial<typeof volumes.$inferInsert>) => {
  await c.var.deps.db.update(volumes).set({ ...fields, updatedAt: nowIso() }).where(eq(volumes.id, id));
};

/** Moves the volume between two statuses by compare-and-swap, or 400 with Cinder's wording. */
async function transition(c: Ctx, id: string, from: string[], to: string, what: string) {
  const v = await findVolume(c.var.deps.db, c.var.auth, id);
  const rows = from.includes(v.status)
    ? await c.var.deps.db.update(volumes).set({ status: to, updatedAt: nowIso() }).where(eq(volumes.id, id)).returning()
    : [];
  if (rows.length === 0) throw bad(`Invalid volume: Volume status must be ${from.join(" or ")} to ${what}, but current status is: ${v.status}.`);
}

const handlers: Record<string, Handler> = {
  "os-extend": async (c, id, args) => {
    const { new_size } = z.object({ new_size: newSizeSchema }).parse(args);
    const version = negotiateVolumeVersion(c.req.header("OpenStack-API-Version"));
    await extendVolume(c.var.deps, c.var.auth, id, new_size, { inUse: volumeVersionAtLeast(version, EXTEND_IN_USE_VERSION), requestId: c.var.requestId });
    return 202;
  },
  "os-set_bootable": async (c, id, args) => {
    const { bootable } = z.object({ bootable: z.unknown() }).parse(args);
    const v = await findVolume(c.var.deps.db, c.var.auth, id);
    const flag = parseBool(bootable, "bootable");
    if (!canStartVolumeOp("set-bootable", v.status)) throw bad(invalidStatusMessage("set-bootable", v.status));
    await setFields(c, id, { bootable: flag });
    return 200;
  },
  "os-update_readonly_flag": async (c, id, args) => {
    const { readonly } = z.object({ readonly: z.unknown() }).parse(args);
    const v = await findVolume(c.var.deps.db, c.var.auth, id);
    const flag = parseBool(readonly, "readonly");
    if (!canStartVolumeOp("update-readonly", v.status)) throw bad(invalidStatusMessage("update-readonly", v.status));
    await setFields(c, id, { readonly: flag ? "True" : "False" });
    return 202;
  },
  "os-reset_status": async (c, id, args) => {
    requireAdmin(c);
    const body = z.object({ status: z.string().optional(), attach_status: z.string().optional(), migration_status: z.string().nullable().optional() }).parse(args);
    await findVolume(c.var.deps.db, c.var.auth, id);
    if (body.status !== undefined && !isVolumeStatus(body.status)) throw bad(`Invalid input received: Must specify a valid status`);
    if (body.attach_status !== undefined && !["attached", "detached"].includes(body.attach_status)) throw bad(`Invalid input received: Must specify a valid attach status`);
    if (body.attach_status === "detached") await c.var.deps.db.delete(volumeAttachments).where(eq(volumeAttachments.volumeId, id));
    if (body.status !== undefined) await setFields(c, id, { status: body.status, commandId: null, errorReason: null });
    return 202;
  },
  "os-force_delete": async (c, id) => {
    requireAdmin(c);
    await deleteVolume(c.var.deps, c.var.auth, id, { force: true });
    return 202;
  },
  "os-reserve": async (c, id) => (await transition(c, id, ["available"], "attaching", "reserve"), 202),
  "os-unreserve": async (c, id) => (await transition(c, id, ["attaching"], "available", "unreserve"), 202),
  "os-begin_detaching": async (c, id) => (await transition(c, id, ["in-use"], "detaching", "begin detaching"), 202),
  "os-roll_detaching": async (c, id) => (await transition(c, id, ["detaching"], "in-use", "roll detaching"), 202),
  /** Records an attachment made by someone else (Nova's old flow); Nimbus' own attach is os-volume_attachments. */
  "os-attach": async (c, id, args) => {
    const body = z.object({ instance_uuid: z.string().min(1), mountpoint: z.string().min(1), mode: z.enum(["rw", "ro"]).optional() }).parse(args);
    const v = await findVolume(c.var.deps.db, c.var.auth, id);
    if (!["available", "attaching"].includes(v.status)) throw bad(invalidStatusMessage("attach", v.status));
    const device = body.mountpoint.replace(/^\/dev\//, "");
    await c.var.deps.db.transaction(async (tx) => {
      await tx.insert(volumeAttachments).values({ id: crypto.randomUUID(), volumeId: id, serverId: body.instance_uuid, hostId: v.hostId ?? "", device });
      await tx.update(volumes).set({ status: "in-use", updatedAt: nowIso() }).where(eq(volumes.id, id));
    }, { behavior: "immediate" });
    return 202;
  },
  /** Admin: drops the attachment whatever state the volume is in, unplugging it from its host when that host answers. */
  "os-force_detach": async (c, id) => {
    requireAdmin(c);
    const v = await findVolume(c.var.deps.db, c.var.auth, id);
    for (const a of await c.var.deps.db.select().from(volumeAttachments).where(eq(volumeAttachments.volumeId, id))) {
      if (a.hostId) await c.var.deps.bus.call(a.hostId, "volume.detach", { volumeId: id, serverId: a.serverId, device: a.device }, 30_000).catch(() => undefined);
    }
    await c.var.deps.db.delete(volumeAttachments).where(eq(volumeAttachments.volumeId, v.id));
    await setFields(c, id, { status: "available", errorReason: null });
    return 202;
  },
  /** Changes the type when the volume can stay where it is (no migration between pools). */
  "os-retype": async (c, id, args) => {
    const { new_type } = z.object({ new_type: z.string().min(1), migration_policy: z.enum(["never", "on-demand"]).optional() }).parse(args);
    const v = await findVolume(c.var.deps.db, c.var.auth, id);
    if (!["available", "in-use"].includes(v.status)) throw bad(`Invalid volume: Volume status must be available or in-use to retype, but current status is: ${v.status}.`);
    const t = await findType(c.var.deps.db, new_type);
    if (!t.isPublic && !c.var.auth.isAdmin) throw new ApiError(404, `Volume type ${new_type} could not be found.`);
    const backend = t.extraSpecs.volume_backend_name;
    if (backend && backend !== v.backend) throw bad(`Invalid volume: retype to ${t.name} needs a migration to backend ${backend}, which Nimbus does not do.`);
    await setFields(c, id, { volumeTypeId: t.id });
    return 202;
  },
  "os-detach": async (c, id) => {
    const v = await findVolume(c.var.deps.db, c.var.auth, id);
    // Detaching what is already detached is a no-op, as in Cinder.
    if (v.status === "available") return 202;
    if (!["in-use", "detaching"].includes(v.status)) throw bad(invalidStatusMessage("detach", v.status));
    await c.var.deps.db.delete(volumeAttachments).where(eq(volumeAttachments.volumeId, id));
    await setFields(c, id, { status: "available" });
    return 202;
  },
};

/** POST /volumes/{id}/action: one action per body, unknown ones are 400 as in Cinder. */
export async function runVolumeAction(c: Ctx, id: string, body: unknown): Promise<Status> {
  const action = body && typeof body === "object" ? Object.keys(body)[0] : undefined;
  const handler = action ? handlers[action] : undefined;
  if (!action || !handler) {
    await findVolume(c.var.deps.db, c.var.auth, id);
    throw bad(`There is no such action: ${action ?? "(none)"}`);
  }
  return handler(c, id, (body as Record<string, unknown>)[action] ?? {});
}

