import type { Context, MiddlewareHandler } from "hono";
import { ApiError } from "../lib/errors.js";

/** Microversions are `2.N`; only the minor part varies, so a version is its minor number. */
export const MIN_MINOR = 1;
/** The highest microversion whose semantics Nimbus implements (see README, "Compute microversions"). */
export const MAX_MINOR = 26;
export const MIN_MICROVERSION = `2.${MIN_MINOR}`;
export const MAX_MICROVERSION = `2.${MAX_MINOR}`;

export class MicroversionError extends Error {
  constructor(message: string, readonly status: 400 | 406) {
    super(message);
  }
}

/**
 * The requested minor version from the two headers Nova reads (the standard
 * `OpenStack-API-Version: compute X` wins over the legacy one); none means the minimum.
 * Pure: throws MicroversionError for a malformed (400) or unsupported (406) version.
 */
export function negotiate(standard: string | undefined, legacy: string | undefined): number {
  let requested: string | undefined;
  if (standard) {
    for (const part of standard.split(",")) {
      const [service, version] = part.trim().split(/\s+/, 2);
      if (service?.toLowerCase() === "compute") requested = version;
    }
  }
  requested ??= legacy?.trim() || undefined;
  if (requested === undefined) return MIN_MINOR;
  if (requested.toLowerCase() === "latest") return MAX_MINOR;
  const m = /^(\d+)\.(\d+)$/.exec(requested);
  if (!m) throw new MicroversionError(`Invalid API version request string ${requested}`, 400);
  const minor = Number(m[2]);
  if (m[1] !== "2" || minor < MIN_MINOR || minor > MAX_MINOR) {
    throw new MicroversionError(`Version ${requested} is not supported by the API. Minimum is ${MIN_MICROVERSION} and maximum is ${MAX_MICROVERSION}.`, 406);
  }
  return minor;
}

/** The request's microversion (minor number); headers were validated by `microversions()`. */
export function microversion(c: Context): number {
  try {
    return negotiate(c.req.header("OpenStack-API-Version"), c.req.header("X-OpenStack-Nova-API-Version"));
  } catch {
    return MIN_MINOR;
  }
}

/** Rejects unsupported versions and echoes the one served, as Nova does, on every response. */
export function microversions(): MiddlewareHandler {
  return async function microversionHeaders(c, next) {
    let minor = MIN_MINOR;
    try {
      minor = negotiate(c.req.header("OpenStack-API-Version"), c.req.header("X-OpenStack-Nova-API-Version"));
    } catch (err) {
      if (!(err instanceof MicroversionError)) throw err;
      setHeaders(c, MIN_MINOR);
      throw new ApiError(err.status, err.message);
    }
    await next();
    setHeaders(c, minor);
  };
}

function setHeaders(c: Context, minor: number) {
  c.header("OpenStack-API-Version", `compute 2.${minor}`);
  c.header("X-OpenStack-Nova-API-Version", `2.${minor}`);
  c.header("Vary", "OpenStack-API-Version, X-OpenStack-Nova-API-Version");
}
