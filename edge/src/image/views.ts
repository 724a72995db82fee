import type { images } from "../db/schema.js";

type ImageRow = (typeof images)["$inferSelect"];
const stamp = (s: string) => s.replace(/\.\d+Z$/, "Z");

export function imageView(i: ImageRow) {
  return {
    ...i.properties,
    id: i.id, name: i.name, status: i.status, visibility: i.visibility, protected: i.protected, os_hidden: false,
    checksum: i.checksum, os_hash_algo: i.hashAlgo, os_hash_value: i.hashValue, owner: i.owner,
    size: i.size, virtual_size: i.virtualSize, min_ram: i.minRam, min_disk: i.minDisk,
    disk_format: i.diskFormat, container_format: i.containerFormat, tags: i.tags,
    created_at: stamp(i.createdAt), updated_at: stamp(i.updatedAt),
    self: `/v2/images/${i.id}`, file: `/v2/images/${i.id}/file`, schema: "/v2/schemas/image",
  };
}
