/** The network (CIDR) an address with this prefix length belongs to: 10.0.0.7/24 → 10.0.0.0/24. */
export function parseCidrOf(ip: string, prefixLength: number): string {
  const n = ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - prefixLength);
  const base = Math.floor(n / size) * size;
  return `${[24, 16, 8, 0].map((s) => Math.floor(base / 2 ** s) % 256).join(".")}/${prefixLength}`;
}
