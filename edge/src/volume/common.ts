import type { Context } from "hono";
import type { AppEnv } from "../lib/context.js";
import { ApiError } from "../lib/errors.js";
import { ListError } from "./list.js";

export type Ctx = Context<AppEnv>;

const cinderKinds: Record<number, string> = {
  400: "badRequest", 401: "unauthorized", 403: "forbidden", 404: "itemNotFound", 405: "badMethod", 409: "conflictingRequest",
  413: "overLimit", 415: "badMediaType", 501: "notImplemented", 503: "serviceUnavailable",
};

/** Cinder's fault body: `{"itemNotFound": {"message", "code"}}`; 413 carries retryAfter as Cinder's OverLimit does. */
export const cinderError = (e: ApiError) => ({
  [cinderKinds[e.status] ?? "computeFault"]: { message: e.message, code: e.status, ...(e.status === 413 ? { retryAfter: "0" } : {}) },
});

/** Runs a pure list selection, turning its errors into 400s. */
export function listing<T>(work: () => T): T {
  try {
    return work();
  } catch (err) {
    if (err instanceof ListError) throw new ApiError(err.status, err.message);
    throw err;
  }
}

/** Query parameters as a flat record (the last value of repeated ones). */
export const queryOf = (c: Ctx): Record<string, string | undefined> => c.req.query();

/** `all_tenants=1` works for admins only; others always see their own project. */
export const allTenants = (c: Ctx) => c.var.auth.isAdmin && ["1", "true", "True"].includes(c.req.query("all_tenants") ?? "");

/** Cinder's `<coll>_links` next link when a page was cut by its limit. */
export function nextLink(c: Ctx, base: string, coll: string, lastId: string | undefined, more: boolean) {
  if (!more || !lastId) return {};
  const url = new URL(c.req.url);
  const q = new URLSearchParams(url.search);
  q.set("marker", lastId);
  return { [`${coll}_links`]: [{ rel: "next", href: `${base}${url.pathname}?${q.toString()}` }] };
}
