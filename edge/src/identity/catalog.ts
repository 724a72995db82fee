/** The service catalog, one origin with a path prefix per service (see FACTS.md). */
interface ServiceDef { type: string; name: string; path: (projectId: string) => string }

const services: ServiceDef[] = [
  { type: "identity", name: "keystone", path: () => "/identity" },
  { type: "compute", name: "nova", path: () => "/compute/v2.1" },
  { type: "image", name: "glance", path: () => "/image" },
  { type: "network", name: "neutron", path: () => "/network" },
];

const interfaces = ["public", "internal", "admin"] as const;

/** Deterministic ids so the catalog needs no table until operators edit it. */
const stableId = (s: string) => s.padEnd(32, "0").slice(0, 32);

export function buildCatalog(base: string, region: string, projectId: string) {
  return services.map((s) => ({
    type: s.type,
    name: s.name,
    id: stableId(`${s.type}svc`),
    endpoints: interfaces.map((iface) => ({
      id: stableId(`${s.type}${iface}`),
      interface: iface,
      region,
      region_id: region,
      url: `${base}${s.path(projectId)}`,
    })),
  }));
}
