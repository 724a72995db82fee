import type { imageMembers, images } from "../db/schema.js";
import type { ImageDoc } from "./attributes.js";

export type ImageRow = (typeof images)["$inferSelect"];
export type MemberRow = (typeof imageMembers)["$inferSelect"];
/** The one store Nimbus has (the filesystem on Node, R2 on Workers), as /v2/info/stores names it. */
export const STORE_ID = "local";
const stamp = (s: string) => s.replace(/\.\d+Z$/, "Z");

/** Glance v2 image body: core attributes, then the free-form properties at top level. */
export function imageView(i: ImageRow) {
  const hasData = i.status === "active" || i.status === "deactivated";
  return {
    ...(i.properties as Record<string, string>),
    id: i.id, name: i.name, status: i.status, visibility: i.visibility, protected: i.protected, os_hidden: i.hidden,
    checksum: i.checksum, os_hash_algo: i.hashAlgo, os_hash_value: i.hashValue, owner: i.owner,
    size: i.size, virtual_size: i.virtualSize, min_ram: i.minRam, min_disk: i.minDisk,
    disk_format: i.diskFormat, container_format: i.containerFormat, tags: i.tags,
    created_at: stamp(i.createdAt), updated_at: stamp(i.updatedAt),
    ...(hasData ? { stores: STORE_ID } : {}),
    self: `/v2/images/${i.id}`, file: `/v2/images/${i.id}/file`, schema: "/v2/schemas/image",
  };
}
export type ImageView = ReturnType<typeof imageView>;

export function memberView(m: MemberRow) {
  return { image_id: m.imageId, member_id: m.memberId, status: m.status, created_at: stamp(m.createdAt), updated_at: stamp(m.updatedAt), schema: "/v2/schemas/member" };
}

/** The editable part of a row, for JSON-patch. */
export function docOf(i: ImageRow): ImageDoc {
  return {
    core: {
      name: i.name, visibility: i.visibility as ImageDoc["core"]["visibility"], protected: i.protected, os_hidden: i.hidden,
      disk_format: i.diskFormat as ImageDoc["core"]["disk_format"], container_format: i.containerFormat as ImageDoc["core"]["container_format"],
      min_disk: i.minDisk, min_ram: i.minRam, tags: i.tags, owner: i.owner,
    },
    properties: i.properties as Record<string, string>,
  };
}

/** Row columns for an edited doc. */
export function rowOf(d: ImageDoc) {
  const c = d.core;
  return {
    name: c.name, visibility: c.visibility, protected: c.protected, hidden: c.os_hidden, diskFormat: c.disk_format, containerFormat: c.container_format,
    minDisk: c.min_disk, minRam: c.min_ram, tags: c.tags, owner: c.owner, properties: d.properties,
  };
}
