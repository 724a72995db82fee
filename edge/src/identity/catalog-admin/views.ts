import type { endpoints, regions, services } from "../../db/schema.js";

export type RegionRow = typeof regions.$inferSelect;
export type ServiceRow = typeof services.$inferSelect;
export type EndpointRow = typeof endpoints.$inferSelect;

/** Keystone catalog bodies; `base` is the v3 root, `origin` the public origin relative URLs hang off. */
export function regionView(r: RegionRow, base: string) {
  return { ...r.extra, id: r.id, description: r.description, parent_region_id: r.parentRegionId, links: { self: `${base}/regions/${r.id}` } };
}

export function serviceView(s: ServiceRow, base: string) {
  return { ...s.extra, id: s.id, type: s.type, name: s.name, description: s.description, enabled: s.enabled, links: { self: `${base}/services/${s.id}` } };
}

/** Placeholders such as $(project_id)s stay as they are; only a relative URL is made absolute. */
export function endpointView(e: EndpointRow, base: string, origin: string) {
  return {
    ...e.extra, id: e.id, service_id: e.serviceId, interface: e.interface, url: e.url.startsWith("/") ? `${origin}${e.url}` : e.url,
    region: e.regionId, region_id: e.regionId, enabled: e.enabled, links: { self: `${base}/endpoints/${e.id}` },
  };
}
