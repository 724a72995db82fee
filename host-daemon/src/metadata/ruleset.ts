/** The metadata address every guest asks (link-local, as in Nova and EC2). */
export const METADATA_IP = "169.254.169.254";

/** One tenant bridge whose guests reach the metadata listener on `port`. */
export interface MetadataBinding {
  bridge: string;
  port: number;
}

/**
 * Connection and routing mark of a binding: replies from the listener are routed back out of
 * the bridge the request came in on (the guests' subnets may overlap between bridges).
 */
export const markOf = (b: MetadataBinding) => 0x4e000000 + b.port;
const hex = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;

/**
 * nft script that atomically replaces table `inet <table>`: per bridge, port 80 of the metadata
 * address is DNATed to that bridge's own listener (so the listener knows the bridge) and marked;
 * the listener's port is closed to every other interface; replies take the mark's route.
 * With no bindings the table is just removed.
 */
export function metadataRuleset(table: string, bindings: MetadataBinding[]): string {
  const head = `table inet ${table} {}\ndelete table inet ${table}\n`;
  if (bindings.length === 0) return head;
  const q = (s: string) => JSON.stringify(s);
  const lines = [
    `table inet ${table} {`,
    "  chain prerouting {",
    "    type nat hook prerouting priority dstnat; policy accept;",
    ...bindings.map((b) => `    iifname ${q(b.bridge)} ip daddr ${METADATA_IP} tcp dport 80 ct mark set ${hex(markOf(b))} dnat ip to ${METADATA_IP}:${b.port}`),
    "  }",
    "  chain input {",
    "    type filter hook input priority filter; policy accept;",
    ...bindings.map((b) => `    ip daddr ${METADATA_IP} tcp dport ${b.port} iifname != ${q(b.bridge)} drop`),
    "  }",
    "  chain output {",
    "    type route hook output priority mangle; policy accept;",
    `    ip saddr ${METADATA_IP} ct mark & 0xff000000 == 0x4e000000 meta mark set ct mark`,
    "  }",
    "}",
  ];
  return `${head}${lines.join("\n")}\n`;
}

/** Parses /proc/net/arp into `ip@device → mac`. */
export function parseArp(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 6 && f[3] !== "00:00:00:00:00:00") out.set(`${f[0]}@${f[5]}`, f[3].toLowerCase());
  }
  return out;
}
