import { CONTAINER_FORMATS, DISK_FORMATS, VISIBILITIES } from "./attributes.js";

const nullable = (type: string, extra: Record<string, unknown> = {}) => ({ type: [type, "null"], ...extra });
const readOnly = (schema: Record<string, unknown>, description: string) => ({ ...schema, readOnly: true, description });

const imageProperties = {
  id: readOnly({ type: "string", pattern: "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$" }, "An identifier for the image"),
  name: nullable("string", { maxLength: 255, description: "Descriptive name for the image" }),
  status: readOnly({ type: "string", enum: ["queued", "saving", "active", "killed", "deleted", "uploading", "importing", "pending_delete", "deactivated"] }, "Status of the image"),
  visibility: { type: "string", enum: [...VISIBILITIES], description: "Scope of image accessibility" },
  protected: { type: "boolean", description: "If true, image will not be deletable." },
  os_hidden: { type: "boolean", description: "If true, image will not appear in default image list response." },
  checksum: readOnly(nullable("string", { maxLength: 32 }), "md5 hash of image contents."),
  os_hash_algo: readOnly(nullable("string", { maxLength: 64 }), "Algorithm to calculate the os_hash_value"),
  os_hash_value: readOnly(nullable("string", { maxLength: 128 }), "Hexdigest of the image contents using the algorithm specified by the os_hash_algo"),
  owner: nullable("string", { maxLength: 255, description: "Owner of the image" }),
  size: readOnly(nullable("integer"), "Size of image file in bytes"),
  virtual_size: readOnly(nullable("integer"), "Virtual size of image in bytes"),
  container_format: nullable("string", { enum: [null, ...CONTAINER_FORMATS], description: "Format of the container" }),
  disk_format: nullable("string", { enum: [null, ...DISK_FORMATS], description: "Format of the disk" }),
  created_at: readOnly({ type: "string" }, "Date and time of image registration"),
  updated_at: readOnly({ type: "string" }, "Date and time of the last image modification"),
  tags: { type: "array", items: { type: "string", maxLength: 255 }, description: "List of strings related to the image" },
  direct_url: readOnly({ type: "string" }, "URL to access the image file kept in external store"),
  min_ram: { type: "integer", description: "Amount of ram (in MB) required to boot image." },
  min_disk: { type: "integer", description: "Amount of disk space (in GB) required to boot image." },
  self: readOnly({ type: "string" }, "An image self url"),
  file: readOnly({ type: "string" }, "An image file url"),
  stores: readOnly({ type: "string" }, "Store in which image data resides."),
  schema: readOnly({ type: "string" }, "An image schema url"),
};

const imageLinks = [{ rel: "self", href: "{self}" }, { rel: "enclosure", href: "{file}" }, { rel: "describedby", href: "{schema}" }];

export const imageSchema = { name: "image", properties: imageProperties, additionalProperties: { type: "string" }, links: imageLinks };

export const imagesSchema = {
  name: "images",
  properties: {
    images: { type: "array", items: { name: "image", properties: imageProperties, additionalProperties: { type: "string" }, links: imageLinks } },
    schema: { type: "string" }, first: { type: "string" }, next: { type: "string" },
  },
  links: [{ rel: "first", href: "{first}" }, { rel: "next", href: "{next}" }, { rel: "describedby", href: "{schema}" }],
};

const memberProperties = {
  created_at: { type: "string", description: "Date and time of image member creation" },
  image_id: { type: "string", description: "An identifier for the image" },
  member_id: { type: "string", description: "An identifier for the image member (tenantId)" },
  status: { type: "string", enum: ["pending", "accepted", "rejected"], description: "The status of this image member" },
  updated_at: { type: "string", description: "Date and time of last modification of image member" },
  schema: { type: "string", readOnly: true },
};

export const memberSchema = { name: "member", properties: memberProperties };
export const membersSchema = {
  name: "members",
  properties: { members: { type: "array", items: { name: "member", properties: memberProperties } }, schema: { type: "string" } },
  links: [{ rel: "describedby", href: "{schema}" }],
};
