/** A host as the router scheduler sees it. */
export interface L3Host {
  id: string;
  /** Connected and heard from recently, not forced down. */
  up: boolean;
  /** Its compute service is enabled (os-services): only enabled hosts take new routers. */
  enabled: boolean;
  /** External networks (names or ids) it reaches; null is every one. */
  externalNetworks: string[] | null;
}

/** The external network of a router's gateway. */
export interface ExternalNet {
  id: string;
  name: string;
}

/** Whether the host can carry a router whose gateway is on `net` (no gateway: any host can). */
export function reachesExternal(h: Pick<L3Host, "externalNetworks">, net: ExternalNet | null): boolean {
  if (!net || h.externalNetworks === null) return true;
  return h.externalNetworks.includes(net.id) || h.externalNetworks.includes(net.name);
}

/** A router stays where it is while its host is up and still reaches its gateway network. */
export function keepsRouter(h: L3Host | undefined, net: ExternalNet | null): boolean {
  return !!h && h.up && reachesExternal(h, net);
}

/**
 * Hosts that may take a router, best first: up, enabled and reaching its external network,
 * least loaded by router count, ties by host id (stable).
 */
export function rankRouterHosts(hosts: readonly L3Host[], net: ExternalNet | null, load: ReadonlyMap<string, number>, exclude: ReadonlySet<string> = new Set()): string[] {
  return hosts
    .filter((h) => h.up && h.enabled && !exclude.has(h.id) && reachesExternal(h, net))
    .sort((a, b) => (load.get(a.id) ?? 0) - (load.get(b.id) ?? 0) || a.id.localeCompare(b.id))
    .map((h) => h.id);
}
