import type { RouterLeg, RouterSpec } from "#shared";
import { parseCidrOf } from "./cidr.js";

/** Names of a router's namespace and of each leg's veth ends (IFNAMSIZ: 15). */
export const routerNs = (routerId: string) => `qrouter-${routerId}`;
const short = (portId: string) => portId.replace(/-/g, "").slice(0, 11);
export const legNames = (leg: RouterLeg, kind: "qr" | "qg") => ({ inside: `${kind}-${short(leg.portId)}`, outside: `${kind}i${short(leg.portId)}` });

/**
 * The router's NAT as one nft script (replaces the previous table): floating IPs as 1:1 DNAT/SNAT,
 * and SNAT of the tenant subnets to the gateway address when enabled.
 */
export function routerNat(spec: RouterSpec, table = "nimbus_nat"): string {
  const pre: string[] = [];
  const post: string[] = [];
  if (spec.gateway) {
    const qg = legNames(spec.gateway, "qg").inside;
    for (const f of [...spec.floatingIps].sort((a, b) => a.floatingIp.localeCompare(b.floatingIp))) {
      pre.push(`ip daddr ${f.floatingIp} dnat to ${f.fixedIp}`);
      post.push(`oifname "${qg}" ip saddr ${f.fixedIp} snat to ${f.floatingIp}`);
    }
    const cidrs = [...new Set(spec.interfaces.map((i) => parseCidrOf(i.ip, i.prefixLength)))];
    if (spec.gateway.enableSnat && cidrs.length) post.push(`oifname "${qg}" ip saddr { ${cidrs.join(", ")} } snat to ${spec.gateway.ip}`);
  }
  const chain = (name: string, hook: string, lines: string[]) => [`  chain ${name} {`, `    ${hook}`, ...lines.map((l) => `    ${l}`), "  }"];
  return [
    `table ip ${table} {}`, `delete table ip ${table}`, `table ip ${table} {`,
    ...chain("prerouting", "type nat hook prerouting priority -100; policy accept;", pre),
    ...chain("postrouting", "type nat hook postrouting priority 100; policy accept;", post),
    "}", "",
  ].join("\n");
}
