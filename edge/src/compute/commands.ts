import { eq } from "drizzle-orm";
import type { CommandPayload } from "#shared";
import type { DbOrTx } from "../db/client.js";
import { images, servers } from "../db/schema.js";
import { ApiError } from "../lib/errors.js";
import { portSpecs } from "../network/ports.js";
import { guestConfigFor } from "./guest-config.js";
import { portIdsOf } from "./server-ports.js";
import { rootVolumeOf, volumesToDeleteWith } from "../volume/boot.js";

type ServerRow = (typeof servers)["$inferSelect"];

/** URL a host downloads an image's bytes from, authenticating as itself. */
export const hostImageUrl = (apiBase: string, imageId: string) => `${apiBase}/internal/images/${imageId}/file`;

/** Everything a host needs to build a server; rebuilt from the database so a retry sends the same. */
export async function createCommand(db: DbOrTx, s: ServerRow, apiBase: string): Promise<CommandPayload<"server.create">> {
  const ports = await portSpecs(db, await portIdsOf(db, s.id));
  const rootVolume = await rootVolumeOf(db, s.id, apiBase);
  if (rootVolume) return { serverId: s.id, name: s.name, vcpus: s.vcpus, memoryMb: s.memoryMb, diskGb: s.diskGb, ports, rootVolume, guestConfig: await guestConfigFor(db, s, ports) };
  const img = (await db.select().from(images).where(eq(images.id, s.imageId)))[0];
  if (!img || img.status !== "active" || !img.checksum) throw new Error(`image ${s.imageId} is no longer available`);
  return {
    serverId: s.id, name: s.name, vcpus: s.vcpus, memoryMb: s.memoryMb, diskGb: s.diskGb,
    image: { id: img.id, checksum: img.checksum, size: img.size ?? 0, diskFormat: img.diskFormat ?? "qcow2", url: hostImageUrl(apiBase, img.id) },
    ports,
    guestConfig: await guestConfigFor(db, s, ports),
  };
}

/** The build of an image-backed server, for rebuild and resize; a volume-backed server is refused (409). */
export async function imageBuildCommand(db: DbOrTx, s: ServerRow, apiBase: string): Promise<CommandPayload<"server.rebuild">> {
  const { image, rootVolume, ...build } = await createCommand(db, s, apiBase);
  if (!image || rootVolume) throw new ApiError(409, `Instance ${s.id} boots from a volume; Nimbus rebuilds and resizes image-backed servers only.`, "conflictingRequest");
  return { ...build, image };
}

export async function deleteCommand(db: DbOrTx, s: ServerRow): Promise<CommandPayload<"server.delete">> {
  return { serverId: s.id, ports: await portSpecs(db, await portIdsOf(db, s.id)), ...(await volumesToDeleteWith(db, s.id)) };
}
