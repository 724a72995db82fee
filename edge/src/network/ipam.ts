import ipaddr from "ipaddr.js";

export interface Pool { start: string; end: string }

const toInt = (ip: string) => ipaddr.IPv4.parse(ip).toByteArray().reduce((acc, b) => acc * 256 + b, 0);
const fromInt = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");

/** Parses an IPv4 CIDR; throws on anything else. Returns the normalised network address too. */
export function parseCidr(cidr: string): { network: string; prefixLength: number; first: number; last: number } {
  const [addr, prefixLength] = ipaddr.IPv4.parseCIDR(cidr);
  const size = 2 ** (32 - prefixLength);
  const first = Math.floor(toInt(addr.toString()) / size) * size;
  return { network: fromInt(first), prefixLength, first, last: first + size - 1 };
}

export function isValidCidr(cidr: string): boolean {
  try {
    parseCidr(cidr);
    return ipaddr.IPv4.isValidFourPartDecimal(cidr.split("/")[0]) && /\/\d{1,2}$/.test(cidr);
  } catch {
    return false;
  }
}

export function cidrContains(cidr: string, ip: string): boolean {
  if (!ipaddr.IPv4.isValidFourPartDecimal(ip)) return false;
  const { first, last } = parseCidr(cidr);
  const n = toInt(ip);
  return n >= first && n <= last;
}

/** Neutron's defaults: gateway is the first host address, the pool is the rest minus broadcast. */
export function defaultGateway(cidr: string): string {
  return fromInt(parseCidr(cidr).first + 1);
}

export function defaultPools(cidr: string, gateway: string | null): Pool[] {
  const { first, last } = parseCidr(cidr);
  const lo = first + 1;
  const hi = last - 1;
  if (hi < lo) return [];
  const gw = gateway ? toInt(gateway) : -1;
  if (gw === lo) return lo + 1 <= hi ? [{ start: fromInt(lo + 1), end: fromInt(hi) }] : [];
  if (gw === hi) return [{ start: fromInt(lo), end: fromInt(hi - 1) }];
  if (gw > lo && gw < hi) return [{ start: fromInt(lo), end: fromInt(gw - 1) }, { start: fromInt(gw + 1), end: fromInt(hi) }];
  return [{ start: fromInt(lo), end: fromInt(hi) }];
}

/** The lowest address in the pools not in `used`, or null when the pools are exhausted. */
export function nextFreeIp(pools: Pool[], used: Set<string>): string | null {
  for (const pool of pools) {
    for (let n = toInt(pool.start); n <= toInt(pool.end); n++) {
      const ip = fromInt(n);
      if (!used.has(ip)) return ip;
    }
  }
  return null;
}


/** A random MAC in Neutron's default fa:16:3e prefix. */
export function randomMac(random: () => number = Math.random): string {
  const tail = Array.from({ length: 3 }, () => Math.floor(random() * 256).toString(16).padStart(2, "0"));
  return ["fa", "16", "3e", ...tail].join(":");
}
