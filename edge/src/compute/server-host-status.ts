import type { Context } from "hono";
import type { Db } from "../db/client.js";
import type { AppEnv } from "../lib/context.js";
import { computeHosts, hostStatusOf } from "./host-views.js";

/** The microversion the request asked for (2.1 when it named none), as [major, minor]. */
function requested(c: Context<AppEnv>): [number, number] {
  const header = c.req.header("OpenStack-API-Version")?.replace(/^compute\s+/i, "") ?? c.req.header("X-OpenStack-Nova-API-Version") ?? "2.1";
  const m = /^(\d+)\.(\d+)$/.exec(header.trim());
  return m ? [Number(m[1]), Number(m[2])] : [2, 1];
}

/**
 * Nova's host_status (2.16+, admins): UP, DOWN (silent > 30 s or forced down), MAINTENANCE
 * (service disabled), UNKNOWN (host not known), "" when the server has no host.
 */
export async function addHostStatus<T extends Record<string, unknown>>(c: Context<AppEnv>, db: Db, views: T[], hostIds: Array<string | null>): Promise<T[]> {
  const [major, minor] = requested(c);
  if (!c.var.auth.isAdmin || major < 2 || (major === 2 && minor < 16)) return views;
  const all = await computeHosts(db);
  return views.map((v, i) => {
    const hostId = hostIds[i];
    const h = all.find((x) => x.host.id === hostId);
    return { ...v, host_status: !hostId ? "" : h ? hostStatusOf(h) : "UNKNOWN" };
  });
}
