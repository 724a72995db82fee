import { bridgeName, tapName, type FirewallPort, type FirewallRule } from "#shared";

/** nft table name for a daemon's name prefix (several daemons may share a kernel in tests). */
export const firewallTable = (namePrefix: string) => `${namePrefix.replace(/[^A-Za-z0-9]/g, "_")}fw`.replace(/^_+/, "");

const PORTED = new Set([6, 17, 33, 132, 136]);
const set = (items: string[]) => `{ ${items.join(", ")} }`;
const suffix = (portId: string) => tapName(portId).slice(3);

/** One security group rule as an nft match; null when it can match nothing (empty remote group). */
export function ruleMatch(r: FirewallRule): string | null {
  const parts: string[] = [];
  if (r.remote) {
    if (r.remote.length === 0) return null;
    parts.push(`ip ${r.direction === "ingress" ? "saddr" : "daddr"} ${set(r.remote)}`);
  }
  if (r.protocol !== null) {
    parts.push(`meta l4proto ${r.protocol}`);
    if (PORTED.has(r.protocol) && r.portMin !== null) parts.push(`th dport ${r.portMin === r.portMax || r.portMax === null ? r.portMin : `${r.portMin}-${r.portMax}`}`);
    if (r.protocol === 1 && r.portMin !== null) parts.push(`icmp type ${r.portMin}${r.portMax !== null ? ` icmp code ${r.portMax}` : ""}`);
  }
  return parts.join(" ");
}

/** L2 anti-spoofing of one VM interface (bridge family, stateless). */
function spoofChain(p: FirewallPort): string[] {
  const macs = [...new Set([p.mac, ...p.allowedAddressPairs.map((a) => a.mac)])];
  const ips = [...new Set([...p.ips, ...p.allowedAddressPairs.map((a) => a.ip)])];
  const lines = [`ether saddr != ${set(macs)} drop`];
  if (ips.length) {
    lines.push(`arp saddr ip != ${set(["0.0.0.0", ...ips])} drop`, `ip saddr 0.0.0.0 udp sport 68 udp dport 67 accept`, `ip saddr != ${set(ips)} drop`);
  } else {
    lines.push("arp operation reply drop", "ip saddr != 0.0.0.0 drop");
  }
  lines.push("ether type != { ip, arp } drop");
  return lines;
}

/** Stateful security groups of one VM interface (inet family, via br_netfilter). */
function groupChains(p: FirewallPort): { egress: string[]; ingress: string[] } {
  const match = (dir: FirewallRule["direction"]) => p.rules.filter((r) => r.direction === dir).map(ruleMatch).filter((m): m is string => m !== null);
  return {
    // Egress returns on a match so the destination port's ingress chain still runs.
    egress: [...match("egress").map((m) => `${m} return`.trim()), "drop"],
    ingress: ["udp sport 67 udp dport 68 accept", ...match("ingress").map((m) => `${m} accept`.trim()), "drop"],
  };
}

const chain = (name: string, lines: string[], hook?: string) =>
  [`  chain ${name} {`, ...(hook ? [`    ${hook}`] : []), ...lines.map((l) => `    ${l}`), "  }"].join("\n");

/**
 * The whole firewall of a host as one nft script: replaces the previous tables atomically.
 * Bridge family: MAC/ARP/IP anti-spoofing per tap. Inet family (bridged IPv4 reaches it through
 * br_netfilter): default-deny ingress, stateful, egress only as the groups allow.
 */
export function buildFirewall(table: string, ports: FirewallPort[]): string {
  const secured = ports.filter((p) => p.portSecurity).sort((a, b) => a.portId.localeCompare(b.portId));
  const l2Dispatch = secured.map((p) => `iifname "${tapName(p.portId)}" jump spoof_${suffix(p.portId)}`);
  const l3 = secured.filter((p) => p.ips.length || p.allowedAddressPairs.length);
  const addrs = (p: FirewallPort) => set([...new Set([...p.ips, ...p.allowedAddressPairs.map((a) => a.ip)])]);
  const egressDispatch = l3.map((p) => `iifname "${bridgeName(p.networkId)}" ip saddr ${addrs(p)} jump egress_${suffix(p.portId)}`);
  const ingressDispatch = l3.map((p) => `oifname "${bridgeName(p.networkId)}" ip daddr ${addrs(p)} jump ingress_${suffix(p.portId)}`);
  const bridgeTable = [
    `table bridge ${table} {`,
    chain("prerouting", l2Dispatch, "type filter hook prerouting priority -200; policy accept;"),
    ...secured.map((p) => chain(`spoof_${suffix(p.portId)}`, spoofChain(p))),
    "}",
  ];
  const inetTable = [
    `table inet ${table} {`,
    chain("forward", ["ct state established,related accept", ...egressDispatch, ...ingressDispatch], "type filter hook forward priority 0; policy accept;"),
    chain("input", ["ct state established,related accept", ...egressDispatch], "type filter hook input priority 0; policy accept;"),
    ...l3.flatMap((p) => {
      const g = groupChains(p);
      return [chain(`egress_${suffix(p.portId)}`, g.egress), chain(`ingress_${suffix(p.portId)}`, g.ingress)];
    }),
    "}",
  ];
  return [
    `table bridge ${table} {}`, `delete table bridge ${table}`, `table inet ${table} {}`, `delete table inet ${table}`,
    ...bridgeTable, ...inetTable, "",
  ].join("\n");
}

/** Removes the firewall tables (when the last port leaves). */
export const removeFirewall = (table: string) => [`table bridge ${table} {}`, `delete table bridge ${table}`, `table inet ${table} {}`, `delete table inet ${table}`, ""].join("\n");
