import { and, eq, inArray } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { images, servers } from "../db/schema.js";
import { ApiError } from "../lib/errors.js";
import type { ImageRow } from "./views.js";

/**
 * The snapshot image a host may write: a queued (or saving) `image_type=snapshot` image of a server
 * that runs on that host. Anything else is 404 to the host, whatever exists.
 */
export async function snapshotImageForHost(db: Db, hostId: string, imageId: string, statuses = ["queued"]): Promise<ImageRow> {
  const img = (await db.select().from(images).where(and(eq(images.id, imageId), inArray(images.status, statuses))))[0];
  const props = (img?.properties ?? {}) as Record<string, string>;
  const server = img && props.image_type === "snapshot" && props.instance_uuid
    ? (await db.select({ hostId: servers.hostId }).from(servers).where(eq(servers.id, props.instance_uuid)))[0]
    : undefined;
  if (!img || server?.hostId !== hostId) throw new ApiError(404, `No snapshot image ${imageId} for this host.`);
  return img;
}
