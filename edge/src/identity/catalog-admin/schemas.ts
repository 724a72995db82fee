import { z } from "zod";

/** Request bodies of Keystone's catalog API; unknown keys are kept as extra attributes. */
const description = z.string().nullish().transform((d) => d ?? "");
const regionId = z.string().trim().min(1).max(255);

export const REGION_FIELDS = ["id", "description", "parent_region_id", "links"];
export const regionBody = z.object({
  region: z.looseObject({ id: regionId.optional(), description: description.optional(), parent_region_id: regionId.nullish() }),
});

export const SERVICE_FIELDS = ["id", "type", "name", "description", "enabled", "links"];
const serviceFields = { type: z.string().trim().min(1).max(255), name: z.string().max(255).nullish(), description: description.optional(), enabled: z.boolean().optional() };
export const serviceCreate = z.object({ service: z.looseObject(serviceFields) });
export const serviceUpdate = z.object({ service: z.looseObject({ ...serviceFields, type: serviceFields.type.optional() }) });

export const ENDPOINT_FIELDS = ["id", "service_id", "interface", "url", "region", "region_id", "enabled", "links", "legacy_endpoint_id"];
const url = z.string().trim().min(1).max(225).regex(/^(https?:\/\/|\/)\S*$/, "url must be an http(s) URL or a path");
const endpointFields = {
  service_id: z.string().min(1),
  interface: z.enum(["public", "internal", "admin"]),
  url,
  region_id: regionId.nullish(),
  /** Keystone's older name for region_id. */
  region: regionId.nullish(),
  enabled: z.boolean().optional(),
};
export const endpointCreate = z.object({ endpoint: z.looseObject(endpointFields) });
export const endpointUpdate = z.object({ endpoint: z.looseObject(z.object(endpointFields).partial().shape) });

/** The extra attributes of a body: every key that is not one of `fields`. */
export const extrasOf = (body: Record<string, unknown>, fields: string[]) => Object.fromEntries(Object.entries(body).filter(([k]) => !fields.includes(k)));
