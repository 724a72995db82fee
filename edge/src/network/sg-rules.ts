import ipaddr from "ipaddr.js";
import { ApiError } from "../lib/errors.js";

/** A security group rule as stored, before ids and timestamps. */
export interface RuleSpec {
  direction: "ingress" | "egress";
  ethertype: "IPv4" | "IPv6";
  protocol: string | null;
  portRangeMin: number | null;
  portRangeMax: number | null;
  remoteIpPrefix: string | null;
  remoteGroupId: string | null;
}

export interface RuleInput {
  direction?: unknown;
  ethertype?: unknown;
  protocol?: unknown;
  port_range_min?: unknown;
  port_range_max?: unknown;
  remote_ip_prefix?: unknown;
  remote_group_id?: unknown;
}

/** Protocol names Neutron accepts, with their IP protocol numbers. */
export const PROTOCOLS: Record<string, number> = {
  ah: 51, dccp: 33, egp: 8, esp: 50, gre: 47, icmp: 1, icmpv6: 58, igmp: 2, ipip: 4, "ipv6-encap": 41, "ipv6-frag": 44,
  "ipv6-icmp": 58, "ipv6-nonxt": 59, "ipv6-opts": 60, "ipv6-route": 43, ospf: 89, pgm: 113, rsvp: 46, sctp: 132, tcp: 6,
  udp: 17, udplite: 136, vrrp: 112,
};
const PORTED = new Set(["tcp", "udp", "dccp", "sctp", "udplite", "6", "17", "33", "132", "136"]);
const ICMP = new Set(["icmp", "icmpv6", "ipv6-icmp", "1", "58"]);

const bad = (msg: string) => new ApiError(400, msg, "InvalidInput");

function port(v: unknown, name: string): number | null {
  if (v === undefined || v === null) return null;
  const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > 65535) throw bad(`Invalid value for port ${String(v)}`);
  return n;
}

function protocolOf(v: unknown): string | null {
  if (v === undefined || v === null || v === "" || v === "any") return null;
  const s = String(v).toLowerCase();
  if (s in PROTOCOLS) return s;
  if (/^\d+$/.test(s) && Number(s) <= 255) return s;
  throw new ApiError(400, `Security group rule protocol ${String(v)} not supported. Only protocol values ${Object.keys(PROTOCOLS).join(", ")} and integer representations [0 to 255] are supported.`, "SecurityGroupRuleInvalidProtocol");
}

/** Validates a rule the way Neutron does and returns its normalised form (throws 400 on misuse). */
export function normalizeRule(r: RuleInput): RuleSpec {
  if (r.direction !== "ingress" && r.direction !== "egress") throw bad(`Invalid input for direction. Reason: '${String(r.direction)}' is not in ['ingress', 'egress'].`);
  const ethertype = r.ethertype ?? "IPv4";
  if (ethertype !== "IPv4" && ethertype !== "IPv6") throw bad(`Invalid input for ethertype. Reason: '${String(ethertype)}' is not in ['IPv4', 'IPv6'].`);
  const protocol = protocolOf(r.protocol);
  let min = port(r.port_range_min, "port_range_min");
  let max = port(r.port_range_max, "port_range_max");
  if (protocol === null && (min !== null || max !== null)) throw new ApiError(400, "Must also specify protocol if port range is given.", "SecurityGroupProtocolRequiredWithPorts");
  if (protocol && PORTED.has(protocol)) {
    if (min === 0 || max === 0) throw new ApiError(400, "Invalid port range: port 0 is not allowed.", "SecurityGroupInvalidPortValue");
    if (min !== null && max === null) max = min;
    if (min === null && max !== null) throw new ApiError(400, "For TCP/UDP protocols, port_range_min must be <= port_range_max", "SecurityGroupInvalidPortRange");
    if (min !== null && max !== null && min > max) throw new ApiError(400, "For TCP/UDP protocols, port_range_min must be <= port_range_max", "SecurityGroupInvalidPortRange");
  } else if (protocol && ICMP.has(protocol)) {
    if (min !== null && min > 255) throw new ApiError(400, `Invalid value for ICMP type (port-range-min) ${min}. It must be 0 to 255.`, "SecurityGroupInvalidIcmpValue");
    if (max !== null && max > 255) throw new ApiError(400, `Invalid value for ICMP code (port-range-max) ${max}. It must be 0 to 255.`, "SecurityGroupInvalidIcmpValue");
    if (min === null && max !== null) throw new ApiError(400, "ICMP code (port-range-max) is provided but ICMP type (port-range-min) is missing.", "SecurityGroupMissingIcmpType");
  } else if (protocol && (min !== null || max !== null)) {
    throw bad(`Invalid input: port ranges are only supported for TCP, UDP, SCTP, DCCP and UDP-Lite, not ${protocol}.`);
  }
  if (protocol === "icmp" && ethertype === "IPv6") throw bad("Protocol icmp is not supported with ethertype IPv6; use ipv6-icmp.");
  const remoteGroupId = r.remote_group_id === undefined || r.remote_group_id === null ? null : String(r.remote_group_id);
  let remoteIpPrefix: string | null = null;
  if (r.remote_ip_prefix !== undefined && r.remote_ip_prefix !== null) {
    if (remoteGroupId) throw new ApiError(400, "Only remote_ip_prefix or remote_group_id may be provided.", "SecurityGroupRemoteGroupAndRemoteIpPrefix");
    remoteIpPrefix = normalizePrefix(String(r.remote_ip_prefix), ethertype);
  }
  return { direction: r.direction, ethertype, protocol, portRangeMin: min, portRangeMax: max, remoteIpPrefix, remoteGroupId };
}

function normalizePrefix(raw: string, ethertype: string): string {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  let len: number;
  try {
    const [host, bits] = raw.split("/");
    if (!ipaddr.IPv4.isValidFourPartDecimal(host) && !ipaddr.IPv6.isValid(host)) throw new Error("invalid");
    addr = ipaddr.parse(host);
    len = bits === undefined ? (addr.kind() === "ipv4" ? 32 : 128) : /^\d+$/.test(bits) ? Number(bits) : NaN;
    if (!(len >= 0 && len <= (addr.kind() === "ipv4" ? 32 : 128))) throw new Error("invalid");
  } catch {
    throw bad(`Invalid input for remote_ip_prefix. Reason: '${raw}' is not a valid IP subnet.`);
  }
  const kind = addr.kind() === "ipv4" ? "IPv4" : "IPv6";
  if (kind !== ethertype) throw new ApiError(400, `Conflicting value ethertype ${ethertype} for CIDR ${raw}`, "SecurityGroupConflictingEthertype");
  const bytes = addr.toByteArray().map((b, i) => {
    const keep = Math.max(0, Math.min(8, len - i * 8));
    return b & (0xff << (8 - keep)) & 0xff;
  });
  return `${ipaddr.fromByteArray(bytes).toString()}/${len}`;
}

/** Two rules are duplicates when every matching attribute is equal (Neutron: SecurityGroupRuleExists). */
export const ruleKey = (r: RuleSpec) =>
  JSON.stringify([r.direction, r.ethertype, r.protocol, r.portRangeMin, r.portRangeMax, r.remoteIpPrefix, r.remoteGroupId]);

const any = { protocol: null, portRangeMin: null, portRangeMax: null, remoteIpPrefix: null, remoteGroupId: null };

/** Rules of every new group: all egress allowed. */
export function newGroupRules(): RuleSpec[] {
  return (["IPv4", "IPv6"] as const).map((ethertype) => ({ ...any, direction: "egress", ethertype }));
}

/** Rules of a project's `default` group: egress open, ingress only from members of the group itself. */
export function defaultGroupRules(groupId: string): RuleSpec[] {
  return [...newGroupRules(), ...(["IPv4", "IPv6"] as const).map((ethertype) => ({ ...any, direction: "ingress" as const, ethertype, remoteGroupId: groupId }))];
}
