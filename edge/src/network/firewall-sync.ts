import { eq, inArray, isNotNull } from "drizzle-orm";
import type { FirewallPort, FirewallRule } from "#shared";
import type { Bus } from "../bus/types.js";
import type { DbOrTx } from "../db/client.js";
import { ipAllocations, ports, securityGroupRules } from "../db/schema.js";
import { PROTOCOLS } from "./sg-rules.js";
import { syncOverlays } from "./overlay-sync.js";

type RuleRow = typeof securityGroupRules.$inferSelect;

/** A stored rule as the host enforces it; null for rules the IPv4 dataplane ignores (IPv6). */
export function hostRule(r: RuleRow, members: (groupId: string) => string[]): FirewallRule | null {
  if (r.ethertype !== "IPv4") return null;
  const protocol = r.protocol === null ? null : r.protocol in PROTOCOLS ? PROTOCOLS[r.protocol] : Number(r.protocol);
  const remote = r.remoteIpPrefix ? [r.remoteIpPrefix] : r.remoteGroupId ? members(r.remoteGroupId).map((ip) => `${ip}/32`) : null;
  return { direction: r.direction as FirewallRule["direction"], protocol, portMin: r.portRangeMin, portMax: r.portRangeMax, remote };
}

/** Everything `hostId` must enforce: every port bound there, with rules and remote groups resolved. */
export async function firewallOf(db: DbOrTx, hostId: string): Promise<FirewallPort[]> {
  const bound = await db.select().from(ports).where(eq(ports.hostId, hostId));
  if (bound.length === 0) return [];
  const groupIds = [...new Set(bound.flatMap((p) => p.securityGroupIds))];
  const rules = groupIds.length ? await db.select().from(securityGroupRules).where(inArray(securityGroupRules.securityGroupId, groupIds)) : [];
  const remoteIds = [...new Set(rules.map((r) => r.remoteGroupId).filter((g): g is string => !!g))];
  // Remote group members may sit on any host: look at every port that has an address.
  const all = remoteIds.length ? await db.select({ id: ports.id, groups: ports.securityGroupIds }).from(ports) : [];
  const ips = await db.select().from(ipAllocations).where(inArray(ipAllocations.portId, [...new Set([...bound.map((p) => p.id), ...all.map((p) => p.id)])]));
  const ipsOf = (portId: string) => ips.filter((a) => a.portId === portId).map((a) => a.ipAddress);
  const members = (groupId: string) => all.filter((p) => p.groups.includes(groupId)).flatMap((p) => ipsOf(p.id));
  return bound.map((p) => ({
    portId: p.id, networkId: p.networkId, mac: p.macAddress, ips: ipsOf(p.id), portSecurity: p.portSecurityEnabled,
    allowedAddressPairs: p.allowedAddressPairs.map((a) => ({ ip: a.ip_address, mac: a.mac_address || p.macAddress })),
    rules: rules.filter((r) => p.securityGroupIds.includes(r.securityGroupId)).map((r) => hostRule(r, members)).filter((r): r is FirewallRule => r !== null),
  }));
}

/**
 * Sends hosts their whole firewall (idempotent full state). Without `hostIds`, every host with a
 * bound port: a rule or membership change can matter anywhere. A host that misses it is
 * reconciled when it reconnects.
 */
export async function syncFirewalls(db: DbOrTx, bus: Bus, hostIds?: string[]): Promise<void> {
  const targets = hostIds ?? [...new Set((await db.select({ h: ports.hostId }).from(ports).where(isNotNull(ports.hostId))).map((r) => r.h!))];
  await Promise.all(targets.map(async (h) => {
    try {
      await bus.cast(h, "network.firewall", { ports: await firewallOf(db, h) });
    } catch (err) {
      console.error(`firewall sync to ${h} failed: ${(err as Error).message}`);
    }
  }));
  // Bindings changed with the firewall: the hosts' VXLAN peers follow them.
  await syncOverlays(db, bus);
}
