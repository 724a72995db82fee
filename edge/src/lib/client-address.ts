import type { Context } from "hono";

/** What @hono/node-server puts in `c.env`; absent on Workers. */
interface NodeBindings { incoming?: { socket?: { remoteAddress?: string } } }

/**
 * The caller's address: `CF-Connecting-IP` on Workers, else the first hop of `X-Forwarded-For`,
 * else the peer address of the socket on Node, else "unknown".
 */
export function clientAddress(c: Context): string {
  const cf = c.req.header("CF-Connecting-IP")?.trim();
  if (cf) return cf;
  const first = c.req.header("X-Forwarded-For")?.split(",")[0]?.trim();
  if (first) return first;
  return (c.env as NodeBindings | undefined)?.incoming?.socket?.remoteAddress ?? "unknown";
}
