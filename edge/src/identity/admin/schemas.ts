import { z } from "zod";

/** Request bodies of the Keystone v3 admin API (limits as Keystone's JSON schemas). */
const name64 = z.string().trim().min(1).max(64);
const name255 = z.string().trim().min(1).max(255);
const description = z.string().nullish().transform((d) => d ?? "");
/** Keystone's project tag: 1-255 characters, no '/' or ','. */
export const tag = z.string().min(1).max(255).regex(/^[^/,]+$/, "tags may not contain '/' or ','");
const tags = z.array(tag).max(80);
export const tagsBody = z.object({ tags });
const options = z.record(z.string(), z.unknown());

export const domainCreate = z.object({
  domain: z.object({ name: name64, description: description.optional(), enabled: z.boolean().optional(), tags: tags.optional(), options: options.optional() }),
});
export const domainUpdate = z.object({
  domain: z.object({ name: name64.optional(), description: description.optional(), enabled: z.boolean().optional(), tags: tags.optional(), options: options.optional() }),
});

export const projectCreate = z.object({
  project: z.object({
    name: name64,
    domain_id: z.string().min(1).nullish(),
    parent_id: z.string().min(1).nullish(),
    description: description.optional(),
    enabled: z.boolean().optional(),
    is_domain: z.boolean().optional(),
    tags: tags.optional(),
    options: options.optional(),
  }),
});
export const projectUpdate = z.object({
  project: z.object({
    name: name64.optional(),
    description: description.optional(),
    enabled: z.boolean().optional(),
    tags: tags.optional(),
    domain_id: z.string().optional(),
    parent_id: z.string().nullish(),
    is_domain: z.boolean().optional(),
    options: options.optional(),
  }),
});

/** Fields a user has; every other key of the body is kept as an extra attribute (email, description…). */
export const USER_FIELDS = ["id", "name", "domain_id", "password", "enabled", "default_project_id", "options", "links", "password_expires_at"];
const userFields = {
  name: name255,
  domain_id: z.string().min(1).nullish(),
  password: z.string().max(4096).nullish(),
  enabled: z.boolean().optional(),
  default_project_id: z.string().min(1).nullish(),
  options: options.optional(),
};
export const userCreate = z.object({ user: z.looseObject(userFields) });
export const userUpdate = z.object({ user: z.looseObject({ ...userFields, name: name255.optional() }) });
export const passwordChange = z.object({
  user: z.object({ password: z.string().min(1).max(4096), original_password: z.string().max(4096) }),
});

export const roleCreate = z.object({
  role: z.object({
    name: name255,
    description: z.string().max(255).nullish(),
    domain_id: z.string().min(1).nullish(),
    options: options.optional(),
  }),
});
export const roleUpdate = z.object({
  role: z.object({ name: name255.optional(), description: z.string().max(255).nullish(), options: options.optional() }),
});

/** The extra attributes of a user body: everything that is not a first-class field. */
export function userExtras(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([k]) => !USER_FIELDS.includes(k)));
}

/** Groups keep unknown keys as extra attributes, as users do. */
export const GROUP_FIELDS = ["id", "name", "domain_id", "description", "links"];
export const groupCreate = z.object({
  group: z.looseObject({ name: name64, domain_id: z.string().min(1).nullish(), description: description.optional() }),
});
export const groupUpdate = z.object({
  group: z.looseObject({ name: name64.optional(), domain_id: z.string().min(1).nullish(), description: description.optional() }),
});

/** The extra attributes of a group body. */
export const groupExtras = (body: Record<string, unknown>) => Object.fromEntries(Object.entries(body).filter(([k]) => !GROUP_FIELDS.includes(k)));
