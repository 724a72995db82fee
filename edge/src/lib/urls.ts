import type { Context } from "hono";
import type { AppEnv } from "./context.js";

/** The origin clients should use in links and the catalog. */
export function publicBase(c: Context<AppEnv>): string {
  const configured = c.var.deps.config.publicUrl;
  if (configured) return configured.replace(/\/$/, "");
  const url = new URL(c.req.url);
  return url.origin;
}
