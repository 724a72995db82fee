import type { servers } from "../db/schema.js";
import { apiStatus } from "./state.js";

type ServerRow = (typeof servers)["$inferSelect"];

/** Nova's server-list filters that Nimbus honours; the rest are ignored, as Nova does for non-admins. */
export interface ServerQuery {
  name?: string;
  status?: string;
  flavor?: string;
  image?: string;
  changesSince?: string;
  /** A regular expression matched at the start of the server's fixed IPv4 addresses (Nova's `ip`). */
  ip?: string;
  marker?: string;
  limit?: number;
}

/** Thrown for a marker that names no server in the listing (Nova answers 400). */
export class MarkerNotFound extends Error {}

/**
 * Applies Nova's list semantics to rows already scoped to the caller, newest first: `name` is a
 * regular expression, `status` is case-insensitive, `flavor`/`image` match ids, then marker/limit.
 */
export function selectServers(rows: ServerRow[], q: ServerQuery, ipsOf: (serverId: string) => string[] = () => []): ServerRow[] {
  let out = rows;
  if (q.name) {
    const pattern = userRegExp(q.name);
    out = out.filter((s) => pattern.test(s.name));
  }
  if (q.ip) {
    const pattern = userRegExp(q.ip, true);
    out = out.filter((s) => ipsOf(s.id).some((ip) => pattern.test(ip)));
  }
  if (q.status) out = out.filter((s) => apiStatus(s.vmState, s.taskState) === q.status!.toUpperCase());
  if (q.flavor) out = out.filter((s) => s.flavorId === q.flavor);
  if (q.image) out = out.filter((s) => s.imageId === q.image);
  if (q.changesSince) out = out.filter((s) => s.updatedAt >= new Date(q.changesSince!).toISOString());
  if (q.marker) {
    const at = out.findIndex((s) => s.id === q.marker);
    if (at === -1) throw new MarkerNotFound(`marker [${q.marker}] not found`);
    out = out.slice(at + 1);
  }
  return q.limit === undefined ? out : out.slice(0, q.limit);
}

/** A user's pattern as a regular expression; one that does not compile is matched literally. */
function userRegExp(pattern: string, atStart = false): RegExp {
  const anchor = atStart ? "^" : "";
  try {
    return new RegExp(`${anchor}(?:${pattern})`);
  } catch {
    return new RegExp(anchor + pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  }
}
