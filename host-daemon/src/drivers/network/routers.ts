import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { bridgeName, type RouterLeg, type RouterSpec } from "#shared";
import { exec as realExec, type Exec } from "../../exec.js";
import { legNames, routerNat, routerNs } from "./router-nat.js";

export interface RouterDriverOptions {
  stateDir: string;
  /** Runs commands in the namespace holding the bridges (the host's). */
  exec?: Exec;
  /** Runs `ip netns` commands; these must see the host's /run/netns (default: plain exec). */
  nsExec?: Exec;
  /**
   * All-in-one: the host itself is the "external world" and takes the external subnet's gateway
   * address on the external network's bridge. On a real site, leave this off and enslave the
   * uplink NIC to that bridge instead (`ip link set eth1 master nbr-…`).
   */
  hostIsExternalGateway?: boolean;
  /** Namespace name of a router (default `qrouter-<id>`); hosts sharing one kernel (tests) need their own. */
  namespaceOf?: (routerId: string) => string;
}

/** Routers as network namespaces: a veth leg per interface on its network's bridge, NAT by nft. */
export class NamespaceRouters {
  private readonly exec: Exec;
  private readonly nsExec: Exec;

  constructor(private readonly opts: RouterDriverOptions) {
    this.exec = opts.exec ?? realExec;
    this.nsExec = opts.nsExec ?? realExec;
  }

  private nsOf(routerId: string) {
    return (this.opts.namespaceOf ?? routerNs)(routerId);
  }

  private inNs(ns: string, cmd: string, args: string[], allowFail = false) {
    return this.nsExec("ip", ["netns", "exec", ns, cmd, ...args], { allowFail });
  }

  private async linkExists(name: string, ns?: string) {
    const r = ns ? await this.inNs(ns, "ip", ["link", "show", "dev", name], true) : await this.exec("ip", ["link", "show", "dev", name], { allowFail: true });
    return r.code === 0;
  }

  /** Converges the host to the router spec; safe to repeat. */
  async apply(spec: RouterSpec): Promise<void> {
    const ns = this.nsOf(spec.routerId);
    if ((await this.nsExec("ip", ["netns", "exec", ns, "true"], { allowFail: true })).code !== 0) await this.nsExec("ip", ["netns", "add", ns]);
    await this.inNs(ns, "ip", ["link", "set", "lo", "up"]);
    await this.inNs(ns, "sysctl", ["-qw", "net.ipv4.ip_forward=1"]);
    const legs: Array<[RouterLeg, "qr" | "qg"]> = [...spec.interfaces.map((l): [RouterLeg, "qr"] => [l, "qr"]), ...(spec.gateway ? [[spec.gateway, "qg"] as [RouterLeg, "qg"]] : [])];
    for (const [leg, kind] of legs) await this.plugLeg(ns, leg, kind);
    await this.pruneLegs(ns, new Set(legs.map(([l, k]) => legNames(l, k).inside)));
    if (spec.gateway) {
      const qg = legNames(spec.gateway, "qg").inside;
      await this.syncFloatingAddresses(ns, qg, spec.gateway, spec.floatingIps.map((f) => f.floatingIp));
      if (spec.gateway.nexthop) {
        if (this.opts.hostIsExternalGateway) await this.ensureHostAddress(bridgeName(spec.gateway.networkId), `${spec.gateway.nexthop}/${spec.gateway.prefixLength}`);
        await this.inNs(ns, "ip", ["route", "replace", "default", "via", spec.gateway.nexthop, "dev", qg]);
      }
    } else {
      await this.inNs(ns, "ip", ["route", "del", "default"], true);
    }
    await mkdir(this.dir, { recursive: true });
    const file = join(this.dir, `${spec.routerId}.nft`);
    await writeFile(file, routerNat(spec));
    await this.inNs(ns, "nft", ["-f", file]);
  }

  private get dir() {
    return join(this.opts.stateDir, "routers");
  }

  /**
   * Routers built here and not deleted: their NAT files in this host's state dir (not the kernel's
   * namespaces, which other daemons sharing the kernel may hold too).
   */
  async list(): Promise<string[]> {
    const files = await readdir(this.dir).catch(() => [] as string[]);
    return files.filter((f) => f.endsWith(".nft")).map((f) => f.slice(0, -4)).sort();
  }

  /** Removes the router's namespace (its veth legs go with it) and bridges only it was using. */
  async delete(routerId: string): Promise<void> {
    const ns = this.nsOf(routerId);
    if ((await this.nsExec("ip", ["netns", "exec", ns, "true"], { allowFail: true })).code !== 0) return this.forget(routerId);
    const legs = await this.legsIn(ns);
    const bridges = await Promise.all(legs.map((l) => this.masterOf(`${l.slice(0, 2)}i${l.slice(3)}`)));
    await this.nsExec("ip", ["netns", "del", ns], { allowFail: true });
    await this.dropEmptyBridges(bridges);
    await this.forget(routerId);
  }

  private forget(routerId: string) {
    return rm(join(this.dir, `${routerId}.nft`), { force: true });
  }

  private async legsIn(ns: string) {
    const { stdout } = await this.inNs(ns, "ip", ["-j", "link", "show"]);
    return (JSON.parse(stdout) as Array<{ ifname: string }>).map((l) => l.ifname).filter((n) => /^q[rg]-/.test(n));
  }

  private async masterOf(dev: string): Promise<string | null> {
    const r = await this.exec("ip", ["-j", "link", "show", "dev", dev], { allowFail: true });
    return r.code === 0 ? ((JSON.parse(r.stdout) as Array<{ master?: string }>)[0]?.master ?? null) : null;
  }

  /** Bridges a router created for its legs go when nothing else is attached to them. */
  private async dropEmptyBridges(bridges: Array<string | null>) {
    for (const br of new Set(bridges.filter((b): b is string => !!b))) {
      const { stdout } = await this.exec("ip", ["-j", "link", "show", "master", br], { allowFail: true });
      const members = stdout.trim() ? (JSON.parse(stdout) as unknown[]) : [];
      const { stdout: addrs } = await this.exec("ip", ["-o", "-4", "addr", "show", "dev", br], { allowFail: true });
      if (members.length === 0 && !addrs.trim()) await this.exec("ip", ["link", "del", br], { allowFail: true });
    }
  }

  private async ensureBridge(name: string) {
    if (!(await this.linkExists(name))) {
      // A port being plugged on the same network may create the bridge meanwhile: that is success.
      const r = await this.exec("ip", ["link", "add", name, "type", "bridge"], { allowFail: true });
      if (r.code !== 0 && !(await this.linkExists(name))) throw new Error(`ip link add ${name} type bridge failed: ${r.stderr.trim()}`);
    }
    await this.exec("ip", ["link", "set", name, "up"]);
  }

  private async ensureHostAddress(dev: string, cidr: string) {
    const { stdout } = await this.exec("ip", ["-o", "-4", "addr", "show", "dev", dev]);
    if (!stdout.includes(` ${cidr} `)) await this.exec("ip", ["addr", "add", cidr, "dev", dev]);
  }

  private async plugLeg(ns: string, leg: RouterLeg, kind: "qr" | "qg") {
    const { inside, outside } = legNames(leg, kind);
    const bridge = bridgeName(leg.networkId);
    await this.ensureBridge(bridge);
    if (!(await this.linkExists(inside, ns))) {
      await this.exec("ip", ["link", "del", outside], { allowFail: true });
      await this.exec("ip", ["link", "add", outside, "type", "veth", "peer", "name", inside, "netns", ns]);
    }
    await this.exec("ip", ["link", "set", outside, "master", bridge, "up"]);
    await this.inNs(ns, "ip", ["link", "set", inside, "address", leg.mac, "up"]);
    await this.inNs(ns, "ip", ["addr", "replace", `${leg.ip}/${leg.prefixLength}`, "dev", inside]);
  }

  private async pruneLegs(ns: string, keep: Set<string>) {
    const stale = (await this.legsIn(ns)).filter((n) => !keep.has(n));
    const bridges = await Promise.all(stale.map((l) => this.masterOf(`${l.slice(0, 2)}i${l.slice(3)}`)));
    for (const n of stale) await this.inNs(ns, "ip", ["link", "del", n], true);
    await this.dropEmptyBridges(bridges);
  }

  /** Floating IPs live as /32s on the gateway leg so the router answers ARP for them. */
  private async syncFloatingAddresses(ns: string, dev: string, gw: RouterLeg, fips: string[]) {
    const { stdout } = await this.inNs(ns, "ip", ["-j", "-4", "addr", "show", "dev", dev]);
    const have = (JSON.parse(stdout) as Array<{ addr_info?: Array<{ local: string; prefixlen: number }> }>).flatMap((l) => l.addr_info ?? [])
      .filter((a) => a.prefixlen === 32 && a.local !== gw.ip).map((a) => a.local);
    for (const ip of have) if (!fips.includes(ip)) await this.inNs(ns, "ip", ["addr", "del", `${ip}/32`, "dev", dev], true);
    for (const ip of fips) if (!have.includes(ip)) await this.inNs(ns, "ip", ["addr", "add", `${ip}/32`, "dev", dev]);
  }
}
