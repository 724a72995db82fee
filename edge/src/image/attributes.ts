import { z } from "zod";
import { ApiError } from "../lib/errors.js";

export const DISK_FORMATS = ["ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop"] as const;
export const CONTAINER_FORMATS = ["ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"] as const;
export const VISIBILITIES = ["public", "private", "shared", "community"] as const;

/** Attributes the server computes; a client setting one gets Glance's 403. */
export const READ_ONLY = new Set([
  "id", "status", "size", "virtual_size", "checksum", "os_hash_algo", "os_hash_value", "created_at", "updated_at",
  "self", "file", "schema", "direct_url", "location", "locations", "stores",
]);

const tag = z.string().min(1).max(255);

/** The writable core attributes with their types; anything else is an extra (string) property. */
export const coreAttributes = {
  name: z.string().max(255).nullable(),
  visibility: z.enum(VISIBILITIES),
  protected: z.boolean(),
  os_hidden: z.boolean(),
  disk_format: z.enum(DISK_FORMATS).nullable(),
  container_format: z.enum(CONTAINER_FORMATS).nullable(),
  min_disk: z.number().int().min(0).max(2 ** 31 - 1),
  min_ram: z.number().int().min(0).max(2 ** 31 - 1),
  tags: z.array(tag).max(128).transform((t) => [...new Set(t)]),
  owner: z.string().max(255),
};
export type CoreKey = keyof typeof coreAttributes;
export const isCore = (k: string): k is CoreKey => k in coreAttributes;

/** Editable state of an image: core attributes plus free-form properties. */
export interface ImageDoc {
  core: { [K in CoreKey]: z.infer<(typeof coreAttributes)[K]> };
  properties: Record<string, string>;
}

/** Glance refuses the server-computed attributes (read-only) and its own namespace (reserved). */
export function assertWritable(key: string) {
  if (READ_ONLY.has(key)) throw new ApiError(403, `Attribute '${key}' is read-only.`);
  if (key.startsWith("os_glance") || key === "deleted" || key === "deleted_at") throw new ApiError(403, `Attribute '${key}' is reserved.`);
}

/** Validates one value for `key`: a core attribute's type or, for extra properties, a string. */
export function checkValue(key: string, value: unknown): unknown {
  const schema = isCore(key) ? coreAttributes[key] : z.string().max(65535);
  const r = schema.safeParse(value);
  if (!r.success) throw new ApiError(400, `Invalid value for '${key}': ${r.error.issues[0]?.message ?? "invalid"}`);
  return r.data;
}
