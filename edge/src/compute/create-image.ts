import { eq } from "drizzle-orm";
import type { Context } from "hono";
import { z } from "zod";
import { images, type servers } from "../db/schema.js";
import type { AppEnv } from "../lib/context.js";
import { ApiError } from "../lib/errors.js";
import { publicBase } from "../lib/urls.js";
import { microversion } from "./microversion.js";
import { claimTask } from "./server-state.js";

type ServerRow = (typeof servers)["$inferSelect"];

const body = z.object({
  createImage: z.object({
    name: z.string().trim().min(1).max(255),
    metadata: z.record(z.string(), z.string().max(255)).optional(),
  }),
});

/**
 * Nova's createImage action: a queued snapshot image owned by the server's project, the server in
 * task image_snapshot, and the host told to convert and upload the disk. 202 with the image's
 * Location (and `image_id` from 2.45); the host's progress and final state clear the task.
 */
export async function createImageAction(c: Context<AppEnv>, server: ServerRow, raw: unknown) {
  const { createImage: req } = body.parse(raw);
  const { db, bus } = c.var.deps;
  const conflict = () => new ApiError(409, `Cannot 'createImage' instance ${server.id} while it is in ${server.taskState ? `task_state ${server.taskState}` : `vm_state ${server.vmState}`}`, "conflictingRequest");
  if (!["active", "stopped"].includes(server.vmState) || server.taskState || !server.hostId) throw conflict();
  const base = (await db.select().from(images).where(eq(images.id, server.imageId)))[0];
  const imageId = crypto.randomUUID();
  await db.insert(images).values({
    id: imageId, name: req.name, owner: server.projectId, visibility: "private", diskFormat: "qcow2", containerFormat: "bare",
    minDisk: Math.max(server.diskGb, base?.minDisk ?? 0), minRam: base?.minRam ?? 0,
    properties: { ...req.metadata, image_type: "snapshot", instance_uuid: server.id, base_image_ref: server.imageId, user_id: c.var.auth.userId, owner_id: server.projectId },
  });
  const commandId = crypto.randomUUID();
  if (!(await claimTask(db, server.id, { from: ["active", "stopped"], task: "image_snapshot", commandId }))) {
    await db.delete(images).where(eq(images.id, imageId));
    throw conflict();
  }
  const apiBase = publicBase(c);
  await bus.cast(server.hostId, "server.snapshot", { serverId: server.id, imageId, uploadUrl: `${apiBase}/internal/images/${imageId}/file` }, commandId);
  c.header("Location", `${apiBase}/image/v2/images/${imageId}`);
  return microversion(c) >= 45 ? c.json({ image_id: imageId }, 202) : c.body(null, 202);
}
