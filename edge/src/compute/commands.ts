import { eq } from "drizzle-orm";
import type { CommandPayload } from "#shared";
import type { DbOrTx } from "../db/client.js";
import { images, servers } from "../db/schema.js";
import { portSpecs } from "../network/ports.js";
import { portIdsOf } from "./server-ports.js";
import { rootVolumeOf, volumesToDeleteWith } from "../volume/boot.js";

type ServerRow = (typeof servers)["$inferSelect"];

/** URL a host downloads an image's bytes from, authenticating as itself. */
export const hostImageUrl = (apiBase: string, imageId: string) => `${apiBase}/internal/images/${imageId}/file`;

/** Everything a host needs to build a server; rebuilt from the database so a retry sends the same. */
export async function createCommand(db: DbOrTx, s: ServerRow, apiBase: string): Promise<CommandPayload<"server.create">> {
  const rootVolume = await rootVolumeOf(db, s.id, apiBase);
  if (rootVolume) return { serverId: s.id, name: s.name, vcpus: s.vcpus, memoryMb: s.memoryMb, diskGb: s.diskGb, ports: await portSpecs(db, await portIdsOf(db, s.id)), rootVolume };
  const img = (await db.select().from(images).where(eq(images.id, s.imageId)))[0];
  if (!img || img.status !== "active" || !img.checksum) throw new Error(`image ${s.imageId} is no longer available`);
  return {
    serverId: s.id, name: s.name, vcpus: s.vcpus, memoryMb: s.memoryMb, diskGb: s.diskGb,
    image: { id: img.id, checksum: img.checksum, size: img.size ?? 0, diskFormat: img.diskFormat ?? "qcow2", url: hostImageUrl(apiBase, img.id) },
    ports: await portSpecs(db, await portIdsOf(db, s.id)),
  };
}

export async function deleteCommand(db: DbOrTx, s: ServerRow): Promise<CommandPayload<"server.delete">> {
  return { serverId: s.id, ports: await portSpecs(db, await portIdsOf(db, s.id)), ...(await volumesToDeleteWith(db, s.id)) };
}
