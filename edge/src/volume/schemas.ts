import { z } from "zod";
import { ApiError } from "../lib/errors.js";
import { metadataSchema } from "../lib/metadata-routes.js";

/** Cinder metadata: non-empty keys and values up to 255 characters, strings only. */

const size = z.union([z.number(), z.string().regex(/^\s*\d+\s*$/)]).transform(Number).pipe(z.number().int().min(1).max(2 ** 31 - 1));
const optionalText = z.string().max(255).nullable().optional();

export const createVolumeBody = z.object({
  volume: z.object({
    size: z.union([size, z.null()]).optional(),
    name: optionalText,
    display_name: optionalText,
    description: optionalText,
    display_description: optionalText,
    volume_type: z.string().nullable().optional(),
    availability_zone: z.string().nullable().optional(),
    metadata: metadataSchema.nullable().optional(),
    snapshot_id: z.string().nullable().optional(),
    source_volid: z.string().nullable().optional(),
    imageRef: z.string().nullable().optional(),
    multiattach: z.boolean().optional(),
  }).passthrough(),
});

export const updateVolumeBody = z.object({
  volume: z.object({ name: optionalText, display_name: optionalText, description: optionalText, display_description: optionalText, metadata: metadataSchema.optional() }).passthrough(),
});

export const createSnapshotBody = z.object({
  snapshot: z.object({
    volume_id: z.string().min(1),
    name: optionalText,
    display_name: optionalText,
    description: optionalText,
    display_description: optionalText,
    force: z.union([z.boolean(), z.enum(["true", "false", "True", "False"])]).optional(),
    metadata: metadataSchema.nullable().optional(),
  }),
});

export const updateSnapshotBody = z.object({
  snapshot: z.object({ name: optionalText, display_name: optionalText, description: optionalText, display_description: optionalText }).passthrough(),
});


/** Cinder's boolean strings ("true", "False", "1"…) as in its `strutils.bool_from_string(strict=True)`. */
export function parseBool(value: unknown, field: string): boolean {
  if (typeof value === "boolean") return value;
  const s = String(value).toLowerCase();
  if (["true", "1", "yes", "y", "on", "t"].includes(s)) return true;
  if (["false", "0", "no", "n", "off", "f"].includes(s)) return false;
  throw new ApiError(400, `Invalid input received: ${field} must be a boolean, not '${String(value)}'.`);
}

export const newSizeSchema = size;

export { metadataSchema };
