import type { Context } from "hono";

/**
 * The caller's address: `CF-Connecting-IP` on Workers, else the first hop of `X-Forwarded-For`,
 * else "unknown" (all such callers then share one rate-limit bucket per user).
 */
export function clientAddress(c: Context): string {
  const cf = c.req.header("CF-Connecting-IP")?.trim();
  if (cf) return cf;
  const first = c.req.header("X-Forwarded-For")?.split(",")[0]?.trim();
  return first || "unknown";
}
