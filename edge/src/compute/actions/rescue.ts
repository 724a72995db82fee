import { eq } from "drizzle-orm";
import { z } from "zod";
import type { DbOrTx } from "../../db/client.js";
import { images } from "../../db/schema.js";
import { ApiError } from "../../lib/errors.js";
import { hostImageUrl } from "../commands.js";
import { castHostAction, type Caller } from "./host-action.js";
import { assertNoVolumes, guestCommand } from "./migrate.js";

export const rescueBody = z.union([
  z.null(),
  z.object({ adminPass: z.string().optional(), rescue_image_ref: z.string().optional() }).passthrough(),
]);

async function rescueImage(db: DbOrTx, imageId: string, apiBase: string) {
  const img = (await db.select().from(images).where(eq(images.id, imageId)))[0];
  if (!img || img.status !== "active" || !img.checksum) throw new ApiError(400, `Image ${imageId} could not be found.`, "badRequest");
  return { id: img.id, checksum: img.checksum, size: img.size ?? 0, diskFormat: img.diskFormat ?? "qcow2", url: hostImageUrl(apiBase, img.id) };
}

/** Nova rescue: boots a fresh disk of the rescue image (default: the server's own) with the server's disk second; answers the admin password. */
export async function rescueServer(who: Caller, id: string, body: z.infer<typeof rescueBody>, apiBase: string) {
  const { db } = who.deps;
  await castHostAction(who, id, {
    name: "rescue", rule: "rescue", command: "server.rescue", event: "compute_rescue_instance",
    check: (s) => assertNoVolumes(db, s, "rescue"),
    payload: async (s) => ({ ...(await guestCommand(db, s)), image: await rescueImage(db, body?.rescue_image_ref ?? s.imageId, apiBase) }),
  });
  return body?.adminPass ?? crypto.randomUUID().replace(/-/g, "").slice(0, 12);
}

/** Unrescue: back to ACTIVE on the server's own disk. */
export async function unrescueServer(who: Caller, id: string) {
  await castHostAction(who, id, {
    name: "unrescue", rule: "unrescue", command: "server.unrescue", event: "compute_unrescue_instance",
    payload: async (s) => ({ ...(await guestCommand(who.deps.db, s)), powerOn: true }),
  });
}
