/** Pure parts of the VXLAN overlay: flood-list diffs, device checks and the isolation ruleset. */

export const VXLAN_PORT = 4789;
/** The all-zero MAC: a bridge fdb entry with it is a flood (BUM) destination. */
export const FLOOD_MAC = "00:00:00:00:00:00";

/** What to add and remove so the flood entries are exactly `want`. */
export function fdbDiff(have: string[], want: string[]): { add: string[]; remove: string[] } {
  const h = new Set(have);
  const w = new Set(want);
  return { add: [...w].filter((p) => !h.has(p)).sort(), remove: [...h].filter((p) => !w.has(p)).sort() };
}

/** Flood destinations in `bridge -j fdb show dev <vxlan>` output. */
export function parseFloodDsts(json: string): string[] {
  if (!json.trim()) return [];
  const entries = JSON.parse(json) as Array<{ mac?: string; dst?: string }>;
  return [...new Set(entries.filter((e) => e.mac === FLOOD_MAC && e.dst).map((e) => e.dst!))].sort();
}

export interface VxlanDevice { name: string; vni: number | null; local: string | null; dstport: number | null; master: string | null }

/** VXLAN devices in `ip -j -d link show type vxlan` output. */
export function parseVxlanDevices(json: string): VxlanDevice[] {
  if (!json.trim()) return [];
  const links = JSON.parse(json) as Array<{ ifname: string; master?: string; linkinfo?: { info_data?: { id?: number; local?: string; port?: number } } }>;
  return links.map((l) => ({
    name: l.ifname, master: l.master ?? null,
    vni: l.linkinfo?.info_data?.id ?? null, local: l.linkinfo?.info_data?.local ?? null, dstport: l.linkinfo?.info_data?.port ?? null,
  }));
}

/** True when an existing device must be recreated to match (VNI, endpoint and port are fixed at creation). */
export const needsRecreate = (d: VxlanDevice, vni: number, local: string) => d.vni !== vni || d.local !== local || d.dstport !== VXLAN_PORT;

/**
 * The tunnel isolation (bridge family, replaces the table atomically): the host's own addresses on
 * a tenant bridge (the DHCP server address, 169.254.169.254) exist on every host carrying the
 * network and answer only local guests, so nothing the host stack sends leaves through a tunnel
 * and nothing from a tunnel reaches the host stack. Guest and router traffic (bridged) passes.
 */
export function overlayIsolation(table: string, active: boolean): string {
  const head = [`table bridge ${table} {}`, `delete table bridge ${table}`];
  if (!active) return [...head, ""].join("\n");
  return [
    ...head,
    `table bridge ${table} {`,
    "  chain output {",
    "    type filter hook output priority 0; policy accept;",
    '    oifname "vxn-*" drop',
    "  }",
    "  chain input {",
    "    type filter hook input priority 0; policy accept;",
    '    iifname "vxn-*" drop',
    "  }",
    "}",
    "",
  ].join("\n");
}
