import type { DbOrTx } from "../db/client.js";
import { endpoints, services } from "../db/schema.js";

/**
 * The catalog a new cloud starts with (seeded by migration 0005): one origin, a path prefix per
 * service (see FACTS.md), in region RegionOne. Operators change it through /v3/services,
 * /v3/endpoints and /v3/regions.
 */
export const SEEDED_SERVICES = [
  { type: "identity", name: "keystone", path: "/identity" },
  { type: "compute", name: "nova", path: "/compute/v2.1" },
  { type: "image", name: "glance", path: "/image" },
  { type: "network", name: "neutron", path: "/network" },
] as const;
export const SEEDED_REGION = "RegionOne";
export const INTERFACES = ["public", "internal", "admin"] as const;

/** The seeded rows' ids: deterministic, so they stay what clients saw before the catalog had tables. */
export const stableId = (s: string) => s.padEnd(32, "0").slice(0, 32);

type ServiceRow = typeof services.$inferSelect;
type EndpointRow = typeof endpoints.$inferSelect;

/** What endpoint URLs may refer to, as in Keystone's `$(project_id)s` substitutions. */
export interface UrlContext { base: string; projectId?: string; userId?: string }

/**
 * An endpoint's URL for a caller: a path starting with "/" hangs off the public origin, and
 * `$(project_id)s`/`%(project_id)s` (or tenant_id, user_id) are filled in. Null when a
 * placeholder cannot be filled (Keystone leaves such endpoints out of the token's catalog).
 */
export function resolveUrl(url: string, ctx: UrlContext): string | null {
  const values: Record<string, string | undefined> = { project_id: ctx.projectId, tenant_id: ctx.projectId, user_id: ctx.userId };
  let missing = false;
  const filled = url.replace(/[$%]\((\w+)\)s/g, (_, key: string) => {
    const v = values[key];
    if (v === undefined) missing = true;
    return v ?? "";
  });
  if (missing) return null;
  return filled.startsWith("/") ? `${ctx.base}${filled}` : filled;
}

/** The token's catalog: enabled services with their enabled endpoints; services without any are left out. */
export function buildCatalog(serviceRows: ServiceRow[], endpointRows: EndpointRow[], ctx: UrlContext) {
  return serviceRows
    .filter((s) => s.enabled)
    .map((s) => ({
      type: s.type,
      name: s.name,
      id: s.id,
      endpoints: endpointRows
        .filter((e) => e.serviceId === s.id && e.enabled)
        .flatMap((e) => {
          const url = resolveUrl(e.url, ctx);
          return url === null ? [] : [{ id: e.id, interface: e.interface, region: e.regionId, region_id: e.regionId, url }];
        }),
    }))
    .filter((s) => s.endpoints.length > 0);
}

/** Reads the catalog tables and builds the token's catalog for a caller. */
export async function loadCatalog(db: DbOrTx, ctx: UrlContext) {
  const [s, e] = await Promise.all([db.select().from(services).orderBy(services.type), db.select().from(endpoints)]);
  return buildCatalog(s, e, ctx);
}
