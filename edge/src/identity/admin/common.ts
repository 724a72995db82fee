import type { Context } from "hono";
import type { z } from "zod";
import type { AppEnv } from "../../lib/context.js";
import { conflict, notFound, readJson } from "../../lib/errors.js";
import type { RevocationMatch } from "../../lib/revocations.js";
import { publicBase } from "../../lib/urls.js";

export type Ctx = Context<AppEnv>;

/** Keystone ids: 32 hex characters. */
export const newId = () => crypto.randomUUID().replace(/-/g, "");

/** Where Keystone links point: `http://H/identity/v3`. */
export const v3Base = (c: Ctx) => `${publicBase(c)}/identity/v3`;

/** Keystone lists are not paged here: `previous` and `next` are always null. */
export const collectionLinks = (c: Ctx) => ({ self: c.req.url, previous: null, next: null });

/** Reads and validates a JSON body; malformed JSON or a schema mismatch becomes a 400. */
export async function parseBody<S extends z.ZodType>(c: Ctx, schema: S): Promise<z.infer<S>> {
  return schema.parse(await readJson(c));
}

const typeName = (kind: string) => kind.split(" ").map((w) => w[0].toUpperCase() + w.slice(1)).join("");

/** Keystone's 404: "Could not find project: <id>." */
export const notFoundOf = (kind: string, id: string) => notFound(`Could not find ${kind}: ${id}.`, `${typeName(kind)}NotFound`);

/** Keystone's 409 for a name that is already taken. */
export const duplicateOf = (kind: string, detail: string) => conflict(`Conflict occurred attempting to store ${kind} - ${detail}`);

/** Whether a failed query broke a UNIQUE constraint, primary keys included (drizzle wraps libSQL's error). */
export function isUniqueViolation(err: unknown): boolean {
  for (let e = err as { message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.message === "string" && /UNIQUE constraint failed/.test(e.message)) return true;
  }
  return false;
}

/** Runs an insert or update, turning a uniqueness violation into Keystone's 409. */
export async function storeUnique<T>(write: () => Promise<T>, onDuplicate: () => Error): Promise<T> {
  try {
    return await write();
  } catch (err) {
    throw isUniqueViolation(err) ? onDuplicate() : err;
  }
}

/** Keystone's boolean query flags (`?effective`, `?include_names=True`): present and not "0"/"false". */
export function queryFlag(c: Ctx, name: string): boolean {
  const v = c.req.query(name);
  return v !== undefined && !["0", "false"].includes(v.toLowerCase());
}

/** Keystone's `enabled=` filter: 0/false/f/n/no/off are false, anything else true. */
export const parseBool = (v: string) => !["0", "false", "f", "n", "no", "off"].includes(v.toLowerCase());

/** Revokes every current token matching `match` (after the change that motivates it is committed). */
export function revokeTokens(c: Ctx, match: RevocationMatch | RevocationMatch[]): Promise<void> {
  const { revocations, config } = c.var.deps;
  return revocations.revokeMatching(match, config.tokenTtlSeconds * 1000);
}
