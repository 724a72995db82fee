import { and, eq, inArray, or, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { imageMembers, images } from "../db/schema.js";
import type { AuthContext } from "../lib/context.js";
import { ApiError } from "../lib/errors.js";
import type { BlobDigest, BlobStore } from "./blob-store.js";
import type { ImageRow } from "./views.js";

export { CONTAINER_FORMATS, DISK_FORMATS } from "./attributes.js";

type Viewer = Pick<AuthContext, "isAdmin" | "projectId">;
const notFound = (id: string) => new ApiError(404, `No image found with ID ${id}`);
/** Where `glance-direct` keeps staged bytes until the import. */
export const stageKey = (id: string) => `stage-${id}`;

/** Images the caller may see: its own, public, community and shared-with-it ones (admins see all). */
export function visibleTo(auth: Viewer) {
  if (auth.isAdmin) return undefined;
  const pid = auth.projectId ?? "";
  const member = sql`exists (select 1 from ${imageMembers} where ${imageMembers.imageId} = ${images.id} and ${imageMembers.memberId} = ${pid})`;
  return or(eq(images.owner, pid), inArray(images.visibility, ["public", "community"]), and(eq(images.visibility, "shared"), member));
}

export async function findImage(db: Db, auth: Viewer, id: string): Promise<ImageRow> {
  const row = (await db.select().from(images).where(and(eq(images.id, id), visibleTo(auth))).limit(1))[0];
  if (!row) throw notFound(id);
  return row;
}

/** Writes need the owning project (or admin); others who can see the image get 403. */
export function assertOwner(auth: Viewer, img: ImageRow, action: string) {
  if (!auth.isAdmin && img.owner !== auth.projectId) throw new ApiError(403, `You are not permitted to ${action} this image.`);
}

/** Compare-and-swap on status: the image moves `from` one of the given states `to` another, or 409. */
export async function claimStatus(db: Db, id: string, from: string[], to: string, message: string) {
  const claimed = await db.update(images).set({ status: to, updatedAt: new Date().toISOString() })
    .where(and(eq(images.id, id), inArray(images.status, from))).returning({ id: images.id });
  if (claimed.length === 0) throw new ApiError(409, message);
}

/** Stores the digest of completed bytes and makes the image active, if it is still in `during`. */
async function activate(db: Db, id: string, during: string, digest: BlobDigest, extra: Record<string, unknown> = {}) {
  const done = await db.update(images).set({
    status: "active", size: digest.size, virtualSize: null, checksum: digest.md5, hashAlgo: "sha512", hashValue: digest.sha512,
    updatedAt: new Date().toISOString(), ...extra,
  }).where(and(eq(images.id, id), eq(images.status, during))).returning({ id: images.id });
  return done.length > 0;
}

/**
 * Streams bytes into `key` while the image is in `during`, then makes it active. On any failure
 * (client gone, size mismatch, image deleted meanwhile) nothing is kept and the image returns to
 * queued, so an `active` image always has complete, hashed data.
 */
export async function storeImageData(db: Db, blobs: BlobStore, id: string, body: ReadableStream<Uint8Array>, opts: { during: string; expectedSize?: number; extra?: Record<string, unknown> }) {
  let digest: BlobDigest;
  try {
    digest = await blobs.put(id, body);
    if (opts.expectedSize !== undefined && digest.size !== opts.expectedSize) {
      throw new ApiError(400, `Image data size ${digest.size} does not match the declared size ${opts.expectedSize}.`);
    }
  } catch (err) {
    await blobs.delete(id).catch(() => undefined);
    await db.update(images).set({ status: "queued" }).where(and(eq(images.id, id), eq(images.status, opts.during)));
    throw err;
  }
  if (!(await activate(db, id, opts.during, digest, opts.extra))) {
    await blobs.delete(id).catch(() => undefined);
    throw new ApiError(409, `Image ${id} changed state during the upload; the data was discarded.`);
  }
  return digest;
}

/** The Content-Length a client declared, if it is a plain number. */
export const declaredSize = (header: string | undefined) => (header && /^\d+$/.test(header) ? Number(header) : undefined);

/** PUT /file: queued → saving → active (409 if the image is not queued). */
export async function uploadImageData(db: Db, blobs: BlobStore, id: string, body: ReadableStream<Uint8Array>, expectedSize?: number) {
  await claimStatus(db, id, ["queued"], "saving", `Image ${id} is not queued for upload; its data can only be uploaded once.`);
  return storeImageData(db, blobs, id, body, { during: "saving", expectedSize });
}
