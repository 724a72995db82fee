import { and, eq, or } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { images } from "../db/schema.js";
import type { AuthContext } from "../lib/context.js";
import { ApiError } from "../lib/errors.js";
import type { BlobStore } from "./blob-store.js";

export const DISK_FORMATS = ["ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop"] as const;
export const CONTAINER_FORMATS = ["ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"] as const;

const notFound = (id: string) => new ApiError(404, `No image found with ID ${id}`);

/** Images the caller may see: its own, public and community ones (admins see all). */
export function visibleTo(auth: Pick<AuthContext, "isAdmin" | "projectId">) {
  if (auth.isAdmin) return undefined;
  return or(eq(images.owner, auth.projectId ?? ""), eq(images.visibility, "public"), eq(images.visibility, "community"));
}

export async function findImage(db: Db, auth: Pick<AuthContext, "isAdmin" | "projectId">, id: string) {
  const row = (await db.select().from(images).where(and(eq(images.id, id), visibleTo(auth))).limit(1))[0];
  if (!row) throw notFound(id);
  return row;
}

/**
 * Stores an image's bytes: queued → saving → active. A failed or interrupted upload puts the image
 * back to queued with no bytes kept, so an `active` image always has complete, hashed data.
 */
export async function uploadImageData(db: Db, blobs: BlobStore, id: string, body: ReadableStream<Uint8Array>) {
  const claimed = await db.update(images).set({ status: "saving" }).where(and(eq(images.id, id), eq(images.status, "queued"))).returning({ id: images.id });
  if (claimed.length === 0) throw new ApiError(409, `Image ${id} is not queued for upload; its data can only be uploaded once.`);
  try {
    const digest = await blobs.put(id, body);
    await db.update(images).set({
      status: "active", size: digest.size, virtualSize: null, checksum: digest.md5, hashAlgo: "sha512", hashValue: digest.sha512,
      updatedAt: new Date().toISOString(),
    }).where(eq(images.id, id));
    return digest;
  } catch (err) {
    await blobs.delete(id).catch(() => undefined);
    await db.update(images).set({ status: "queued" }).where(eq(images.id, id));
    throw err;
  }
}
