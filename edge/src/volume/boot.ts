import { and, eq } from "drizzle-orm";
import { z } from "zod";
import type { RootVolumeSpec } from "#shared";
import { hostImageUrl } from "../compute/commands.js";
import { hostCapacities } from "../compute/placement.js";
import type { Db, DbOrTx } from "../db/client.js";
import { images, volumeAttachments, volumes } from "../db/schema.js";
import { findImage } from "../image/service.js";
import type { AuthContext } from "../lib/context.js";
import { ApiError } from "../lib/errors.js";
import { defaultPoolOptions, pickPool } from "./placement.js";
import { parseBool } from "./schemas.js";
import { ensureDefaultType, findVolume, nowIso, poolCapacities } from "./store.js";
import { reserveQuota } from "./volumes.js";

const GiB = 1024 ** 3;
const bad = (msg: string) => new ApiError(400, msg);

const bdmItem = z.object({
  uuid: z.string().optional(),
  source_type: z.enum(["volume", "image", "blank", "snapshot"]),
  destination_type: z.enum(["volume", "local"]).optional(),
  boot_index: z.union([z.number(), z.string(), z.null()]).optional(),
  volume_size: z.coerce.number().int().positive().optional(),
  delete_on_termination: z.union([z.boolean(), z.string()]).optional(),
}).passthrough();

/** What a server boots from when its block_device_mapping_v2 says so (Nova's boot from volume). */
export type BootVolume =
  | { kind: "volume"; volumeId: string; hostId: string | null; deleteOnTermination: boolean }
  | { kind: "image"; imageId: string; sizeGb: number; deleteOnTermination: boolean };

/**
 * Reads block_device_mapping_v2: null when the server boots from its image as usual. Nimbus boots
 * from one volume (boot_index 0): an existing bootable volume, or a new one made from an image;
 * further mappings are refused (attach volumes after the build instead).
 */
export async function resolveBootVolume(db: Db, auth: AuthContext, raw: unknown): Promise<BootVolume | null> {
  if (raw === undefined || raw === null) return null;
  const items = z.array(bdmItem).parse(raw);
  if (items.length === 0) return null;
  const root = items.find((i) => String(i.boot_index ?? "") === "0");
  if (!root || items.length > 1) throw bad("Block Device Mapping is Invalid: Nimbus boots from exactly one mapping with boot_index 0.");
  if (root.destination_type !== "volume") throw bad("Block Device Mapping is Invalid: only destination_type volume is supported.");
  const deleteOnTermination = root.delete_on_termination === undefined ? false : parseBool(root.delete_on_termination, "delete_on_termination");
  if (!root.uuid) throw bad("Block Device Mapping is Invalid: uuid is required.");
  if (root.source_type === "volume") {
    const v = await findVolume(db, auth, root.uuid).catch(() => { throw bad(`Block Device Mapping is Invalid: failed to get volume ${root.uuid}.`); });
    if (v.status !== "available") throw bad(`Block Device Mapping is Invalid: volume ${v.id} status must be 'available', not '${v.status}'.`);
    if (!v.bootable) throw bad(`Block Device ${v.id} is not bootable.`);
    return { kind: "volume", volumeId: v.id, hostId: v.hostId, deleteOnTermination };
  }
  if (root.source_type === "image") {
    const img = await findImage(db, auth, root.uuid).catch(() => { throw bad(`Image ${root.uuid} could not be found.`); });
    if (img.status !== "active") throw bad(`Image ${img.id} is not active.`);
    const sizeGb = root.volume_size ?? Math.max(1, img.minDisk, Math.ceil((img.size ?? 0) / GiB));
    return { kind: "image", imageId: img.id, sizeGb, deleteOnTermination };
  }
  throw bad(`Block Device Mapping is Invalid: source_type ${root.source_type} is not supported.`);
}

/** Hosts a volume-backed server may run on: the boot volume's own host, or hosts with a pool for a new one. */
export async function bootHostCandidates(tx: DbOrTx, boot: BootVolume): Promise<string[]> {
  if (boot.kind === "volume") return boot.hostId ? [boot.hostId] : [];
  const pools = await poolCapacities(tx);
  return (await hostCapacities(tx)).filter((h) => pickPool(pools, { sizeGb: boot.sizeGb, hostId: h.id }, defaultPoolOptions())).map((h) => h.id);
}

/** Inside the server's create transaction: takes the volume (or creates its row) and records it as the server's vda. */
export async function claimBootVolume(tx: DbOrTx, boot: BootVolume, auth: AuthContext, serverId: string, hostId: string) {
  let volumeId: string;
  if (boot.kind === "volume") {
    const taken = await tx.update(volumes).set({ status: "in-use", updatedAt: nowIso() }).where(and(eq(volumes.id, boot.volumeId), eq(volumes.status, "available"))).returning();
    if (taken.length === 0) throw bad(`Block Device Mapping is Invalid: volume ${boot.volumeId} is no longer available.`);
    volumeId = boot.volumeId;
  } else {
    await reserveQuota(tx, auth.projectId!, { volumes: 1, gigabytes: boot.sizeGb, size: boot.sizeGb });
    const img = (await tx.select().from(images).where(eq(images.id, boot.imageId)))[0]!;
    const pool = (await poolCapacities(tx)).find((p) => p.hostId === hostId);
    volumeId = crypto.randomUUID();
    await tx.insert(volumes).values({
      id: volumeId, projectId: auth.projectId!, userId: auth.userId, name: "", size: boot.sizeGb, status: "creating", hostId, backend: pool?.backend ?? "dir",
      volumeTypeId: (await ensureDefaultType(tx)).id, bootable: true, imageId: img.id, commandId: crypto.randomUUID(),
      imageMetadata: { image_id: img.id, image_name: img.name ?? "", checksum: img.checksum ?? "", disk_format: img.diskFormat ?? "", container_format: img.containerFormat ?? "", min_disk: String(img.minDisk), min_ram: String(img.minRam), size: String(img.size ?? 0) },
    });
  }
  await tx.insert(volumeAttachments).values({ id: crypto.randomUUID(), volumeId, serverId, hostId, device: "vda", deleteOnTermination: boot.deleteOnTermination });
}

/** The root volume a build needs, rebuilt from the database (so a resent build is the same); null for image-backed servers. */
export async function rootVolumeOf(db: DbOrTx, serverId: string, apiBase: string): Promise<RootVolumeSpec | null> {
  const a = (await db.select().from(volumeAttachments).where(and(eq(volumeAttachments.serverId, serverId), eq(volumeAttachments.device, "vda"))))[0];
  if (!a) return null;
  const v = (await db.select().from(volumes).where(eq(volumes.id, a.volumeId)))[0];
  if (!v) return null;
  if (v.status !== "creating" || !v.imageId) return { volumeId: v.id, commandId: v.commandId ?? crypto.randomUUID() };
  const img = (await db.select().from(images).where(eq(images.id, v.imageId)))[0];
  if (!img || img.status !== "active" || !img.checksum) throw new Error(`image ${v.imageId} is no longer available`);
  return {
    volumeId: v.id, commandId: v.commandId ?? crypto.randomUUID(),
    create: { sizeGb: v.size, source: { kind: "image", image: { id: img.id, checksum: img.checksum, size: img.size ?? 0, diskFormat: img.diskFormat ?? "raw", url: hostImageUrl(apiBase, img.id) } } },
  };
}

/** Volumes the host deletes with the server (delete_on_termination). */
export async function volumesToDeleteWith(db: DbOrTx, serverId: string): Promise<{ deleteVolumes?: string[] }> {
  const rows = await db.select().from(volumeAttachments).where(and(eq(volumeAttachments.serverId, serverId), eq(volumeAttachments.deleteOnTermination, true)));
  return rows.length ? { deleteVolumes: rows.map((r) => r.volumeId) } : {};
}
