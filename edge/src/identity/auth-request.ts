import { z } from "zod";

const domainRef = z.object({ id: z.string().optional(), name: z.string().optional() }).optional();
const userRef = z.object({ id: z.string().optional(), name: z.string().optional(), domain: domainRef });

/** The subset of Keystone's POST /v3/auth/tokens body that Nimbus accepts. */
export const authRequest = z.object({
  auth: z.object({
    identity: z.object({
      methods: z.array(z.enum(["password", "token", "application_credential"])).min(1),
      password: z.object({ user: userRef.extend({ password: z.string() }) }).optional(),
      token: z.object({ id: z.string() }).optional(),
      application_credential: z
        .object({ id: z.string().optional(), name: z.string().optional(), secret: z.string(), user: userRef.optional() })
        .optional(),
    }),
    scope: z
      .union([
        z.literal("unscoped"),
        z.object({
          project: z.object({ id: z.string().optional(), name: z.string().optional(), domain: domainRef }).optional(),
          domain: z.object({ id: z.string().optional(), name: z.string().optional() }).optional(),
          /** The whole deployment, as Keystone's only system scope. */
          system: z.object({ all: z.literal(true) }).optional(),
        }),
      ])
      .optional(),
  }),
});
export type AuthRequest = z.infer<typeof authRequest>;
export type DomainRef = { id?: string; name?: string };
export type UserRef = z.infer<typeof userRef>;
