import { eq } from "drizzle-orm";
import { z } from "zod";
import { servers } from "../../db/schema.js";
import { ApiError } from "../../lib/errors.js";
import { findImage } from "../../image/service.js";
import { imageBuildCommand } from "../commands.js";
import { castHostAction, type Caller } from "./host-action.js";

export const rebuildBody = z.object({
  imageRef: z.string().min(1),
  name: z.string().trim().min(1).max(255).optional(),
  metadata: z.record(z.string().min(1).max(255), z.string().max(255)).optional(),
  adminPass: z.string().optional(),
  accessIPv4: z.union([z.ipv4(), z.literal("")]).optional(),
  accessIPv6: z.union([z.ipv6(), z.literal("")]).optional(),
  description: z.string().max(255).nullable().optional(),
}).passthrough();

/**
 * Rebuild: a new root disk from `imageRef` on the same host, with the same ports. The row takes
 * the new image, name and metadata at once; the host recreates disk and domain.
 */
export async function rebuildServer(who: Caller, id: string, req: z.infer<typeof rebuildBody>, apiBase: string) {
  const { db } = who.deps;
  const image = await findImage(db, who.auth, req.imageRef).catch(() => { throw new ApiError(400, `Image ${req.imageRef} could not be found.`); });
  if (image.status !== "active") throw new ApiError(400, `Image ${image.id} is not active.`);
  await castHostAction(who, id, {
    name: "rebuild", rule: "rebuild", command: "server.rebuild", event: "compute_rebuild_instance",
    payload: (s) => imageBuildCommand(db, { ...s, imageId: image.id }, apiBase),
    check: (s) => {
      if (image.minDisk > s.diskGb && s.diskGb > 0) throw new ApiError(400, "Flavor's disk is too small for requested image.");
    },
  });
  const changes = {
    imageId: image.id, progress: 0, updatedAt: new Date().toISOString(),
    ...(req.name !== undefined ? { name: req.name } : {}),
    ...(req.metadata !== undefined ? { metadata: req.metadata } : {}),
    ...(req.accessIPv4 !== undefined ? { accessIpv4: req.accessIPv4 } : {}),
    ...(req.accessIPv6 !== undefined ? { accessIpv6: req.accessIPv6 } : {}),
  };
  const [row] = await db.update(servers).set(changes).where(eq(servers.id, id)).returning();
  return { row, adminPass: req.adminPass ?? crypto.randomUUID().replace(/-/g, "").slice(0, 12) };
}
