import type { OverlayNetwork } from "#shared";

/** A host that has something of a network: a bound port, or a router leg. */
export interface Carrier { networkId: string; hostId: string }
export interface OverlayHost { id: string; online: boolean; underlayIp: string | null }
export interface Segment { vni: number; mtu: number }

/**
 * Which tenant networks each host must carry over VXLAN, and to which peers it floods: the other
 * online hosts with an underlay address that carry the same network. Networks without a segment
 * (external, flat ones) are left out. Every online host with an underlay address gets an entry
 * (possibly empty), so a host that no longer carries a network is told to tear it down.
 */
export function overlayPlan(carriers: Carrier[], hosts: OverlayHost[], segments: Map<string, Segment>): Map<string, OverlayNetwork[]> {
  const live = new Map(hosts.filter((h) => h.online && h.underlayIp).map((h) => [h.id, h.underlayIp!]));
  const byNetwork = new Map<string, Set<string>>();
  for (const c of carriers) {
    if (!segments.has(c.networkId) || !live.has(c.hostId)) continue;
    byNetwork.set(c.networkId, (byNetwork.get(c.networkId) ?? new Set()).add(c.hostId));
  }
  const plan = new Map<string, OverlayNetwork[]>([...live.keys()].sort().map((h) => [h, []]));
  for (const [networkId, hostIds] of [...byNetwork].sort(([a], [b]) => a.localeCompare(b))) {
    const seg = segments.get(networkId)!;
    for (const h of hostIds) {
      const peers = [...new Set([...hostIds].filter((o) => o !== h).map((o) => live.get(o)!))].filter((ip) => ip !== live.get(h)).sort();
      plan.get(h)!.push({ networkId, vni: seg.vni, mtu: seg.mtu, peers });
    }
  }
  return plan;
}

/** The smallest VNI not in use (VNIs start at 1; 16M of them). */
export function nextVni(used: number[]): number {
  const taken = new Set(used);
  let vni = 1;
  while (taken.has(vni)) vni++;
  if (vni > 16_777_215) throw new Error("no VXLAN segment left");
  return vni;
}

/** Tenant networks are VXLAN segments: 50 bytes of encapsulation inside a 1500-byte underlay (as Neutron). */
export const defaultMtu = (external: boolean) => (external ? 1500 : 1450);

/** The largest MTU a network may have: a VXLAN segment must fit the 1500-byte underlay. */
export const maxMtu = (external: boolean) => (external ? 9000 : 1450);
