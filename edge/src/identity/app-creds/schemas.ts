import { z } from "zod";

const roleRef = z.object({ id: z.string().min(1).optional(), name: z.string().min(1).optional() }).refine((r) => r.id || r.name, "a role needs an id or a name");

/** POST /v3/users/{user_id}/application_credentials */
export const appCredCreate = z.object({
  application_credential: z.object({
    name: z.string().trim().min(1).max(255),
    description: z.string().max(255).nullish(),
    secret: z.string().min(1).max(4096).nullish(),
    expires_at: z.string().nullish(),
    roles: z.array(roleRef).optional(),
    unrestricted: z.boolean().optional(),
    access_rules: z.array(z.unknown()).max(0, { error: "access rules are not supported" }).optional(),
  }),
});
