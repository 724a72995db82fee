import { z } from "zod";

const domainRef = z.object({ id: z.string().optional(), name: z.string().optional() }).optional();

/** The subset of Keystone's POST /v3/auth/tokens body that Nimbus accepts. */
export const authRequest = z.object({
  auth: z.object({
    identity: z.object({
      methods: z.array(z.enum(["password", "token"])).min(1),
      password: z
        .object({
          user: z.object({ id: z.string().optional(), name: z.string().optional(), domain: domainRef, password: z.string() }),
        })
        .optional(),
      token: z.object({ id: z.string() }).optional(),
    }),
    scope: z
      .union([
        z.literal("unscoped"),
        z.object({
          project: z.object({ id: z.string().optional(), name: z.string().optional(), domain: domainRef }).optional(),
        }),
      ])
      .optional(),
  }),
});
export type AuthRequest = z.infer<typeof authRequest>;
