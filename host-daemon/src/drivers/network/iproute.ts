import type { Exec } from "../../exec.js";

/** IPv4 addresses in `ip -j addr show` output, as "ip/prefix". */
export function parseIpv4Addrs(json: string): string[] {
  const links = JSON.parse(json) as Array<{ addr_info?: Array<{ family: string; local: string; prefixlen: number }> }>;
  return links.flatMap((l) => l.addr_info ?? []).filter((a) => a.family === "inet").map((a) => `${a.local}/${a.prefixlen}`);
}

/** The few iproute2 operations the bridge driver needs; each is safe to repeat. */
export class IpRoute {
  constructor(private readonly exec: Exec) {}

  async linkExists(name: string): Promise<boolean> {
    return (await this.exec("ip", ["link", "show", "dev", name], { allowFail: true })).code === 0;
  }

  /** Creates a bridge; one that another task created meanwhile counts as done. */
  async addBridge(name: string): Promise<void> {
    const r = await this.exec("ip", ["link", "add", name, "type", "bridge"], { allowFail: true });
    if (r.code !== 0 && !(await this.linkExists(name))) throw new Error(`ip link add ${name} type bridge failed: ${r.stderr.trim()}`);
  }

  async setUp(name: string, mtu: number): Promise<void> {
    await this.exec("ip", ["link", "set", "dev", name, "mtu", String(mtu), "up"]);
  }

  /** Deletes a link; a missing one is fine. */
  async deleteLink(name: string): Promise<void> {
    if (await this.linkExists(name)) await this.exec("ip", ["link", "del", "dev", name]);
  }

  /** Interfaces enslaved to a bridge (e.g. router legs besides VM taps). */
  async bridgeMembers(bridge: string): Promise<string[]> {
    const { stdout, code } = await this.exec("ip", ["-j", "link", "show", "master", bridge], { allowFail: true });
    return code === 0 && stdout.trim() ? (JSON.parse(stdout) as Array<{ ifname: string }>).map((l) => l.ifname) : [];
  }

  async hasAddress(dev: string, cidr: string): Promise<boolean> {
    const { stdout } = await this.exec("ip", ["-j", "addr", "show", "dev", dev]);
    return parseIpv4Addrs(stdout).includes(cidr);
  }

  async addAddress(dev: string, cidr: string): Promise<void> {
    await this.exec("ip", ["addr", "add", cidr, "dev", dev]);
  }

  async deleteAddress(dev: string, cidr: string): Promise<void> {
    await this.exec("ip", ["addr", "del", cidr, "dev", dev], { allowFail: true });
  }
}
