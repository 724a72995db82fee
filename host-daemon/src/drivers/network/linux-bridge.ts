import { chmod, mkdir, readdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { bridgeName, tapName, vxlanName, type FirewallPort, type OverlayNetwork, type PortSpec, type RouterSpec } from "#shared";
import { exec as realExec, type Exec } from "../../exec.js";
import { Revert } from "../../revert.js";
import { SerialQueue } from "../../serial-queue.js";
import { assertSafeId } from "../safe-id.js";
import { dhcpPaths, dnsmasqArgs, hostsFile, pruneLeases, type DhcpPaths } from "./dhcp-config.js";
import { Dnsmasq } from "./dnsmasq.js";
import { IpRoute, parseIpv4Addrs } from "./iproute.js";
import { NftFirewall } from "./nft-firewall.js";
import { NamespaceRouters } from "./routers.js";
import { readPorts, writeAtomic, writePorts, type PortMap } from "./port-store.js";
import type { NetworkDriver, PluggedPort } from "./types.js";
import { VxlanOverlay } from "./vxlan.js";

export interface LinuxBridgeOptions {
  /** DHCP state lives in `${stateDir}/dhcp/<networkId>/`. */
  stateDir: string;
  exec?: Exec;
  /** Passed to dnsmasq: log every DHCP transaction to the network's dnsmasq.log. */
  logDhcp?: boolean;
  /** nft table of this daemon's security groups (default nimbus_fw). */
  firewallTable?: string;
  /** All-in-one: the host takes the external subnet's gateway address (see NamespaceRouters). */
  hostIsExternalGateway?: boolean;
  /** libvirt URI for interface hotplug (default qemu:///system). */
  libvirtUri?: string;
  /** This host's VXLAN tunnel endpoint; without it the host carries no tunnels. */
  underlayIp?: string;
}

const exists = (path: string) => stat(path).then(() => true, () => false);

/**
 * One Linux bridge and one dnsmasq per network, created with the network's first port on this
 * host and removed with its last. Taps are created by libvirt from the domain XML.
 */
export class LinuxBridgeNetworkDriver implements NetworkDriver {
  private readonly ip: IpRoute;
  private readonly dnsmasq: Dnsmasq;
  /** Per-network queue: plug and unplug of one network read-modify-write the same files. */
  /** Plug and unplug run one at a time per network. */
  private readonly locks = new SerialQueue();

  constructor(private readonly opts: LinuxBridgeOptions) {
    const exec = opts.exec ?? realExec;
    this.ip = new IpRoute(exec);
    this.dnsmasq = new Dnsmasq(exec);
  }

  private get dhcpDir() {
    return join(this.opts.stateDir, "dhcp");
  }

  plugPort(port: PortSpec): Promise<PluggedPort> {
    return this.serialised(port.networkId, () => Revert.run((revert) => this.plug(port, revert)));
  }

  unplugPort(port: PortSpec): Promise<void> {
    return this.serialised(port.networkId, () => this.unplug(port));
  }

  applyFirewall(ports: FirewallPort[]): Promise<void> {
    const fw = new NftFirewall({ stateDir: this.opts.stateDir, table: this.opts.firewallTable ?? "nimbus_fw", exec: this.opts.exec });
    return this.locks.run("firewall", () => fw.apply(ports));
  }

  applyRouter(spec: RouterSpec): Promise<void> {
    return this.locks.run(`router-${spec.routerId}`, () => this.routers().apply(spec));
  }

  deleteRouter(routerId: string): Promise<void> {
    return this.locks.run(`router-${routerId}`, () => this.routers().delete(routerId));
  }

  /** Converges the VXLAN legs to exactly the networks listed with peers (see VxlanOverlay). */
  async applyOverlay(networks: OverlayNetwork[]): Promise<void> {
    const wanted = networks.filter((n) => n.peers.length > 0);
    const { underlayIp } = this.opts;
    if (wanted.length && !underlayIp) throw new Error("this host has no underlay address (NIMBUS_UNDERLAY_IP)");
    const vx = new VxlanOverlay({ exec: this.opts.exec ?? realExec, underlayIp: underlayIp ?? "", table: `${this.opts.firewallTable ?? "nimbus_fw"}_ovl` });
    const keep = new Set(wanted.map((n) => vxlanName(n.networkId)));
    // Only devices this daemon made (other clouds' daemons may share the kernel in tests).
    const mine = join(this.opts.stateDir, "vxlan.json");
    const made = new Set<string>(JSON.parse(await readFile(mine, "utf8").catch(() => "[]")) as string[]);
    for (const d of await vx.devices()) {
      if (keep.has(d.name) || !made.has(d.name)) continue;
      await vx.remove(d.name);
      if (d.master) await this.dropIdleBridge(d.master);
    }
    await mkdir(this.opts.stateDir, { recursive: true });
    await writeAtomic(mine, JSON.stringify([...keep].sort()));
    for (const n of wanted) {
      await this.serialised(n.networkId, async () => {
        const bridge = bridgeName(n.networkId);
        // A router leg may be creating the same bridge: losing that race is fine.
        if (!(await this.ip.linkExists(bridge))) await (this.opts.exec ?? realExec)("ip", ["link", "add", bridge, "type", "bridge"], { allowFail: true });
        await this.ip.setUp(bridge, n.mtu);
        await vx.ensure(n);
      });
    }
    await this.locks.run("overlay-isolation", () => vx.isolate(wanted.length > 0));
  }

  /** Deletes a bridge nothing uses any more: no member, no address, no DHCP server of ours. */
  private async dropIdleBridge(bridge: string) {
    const nets = await readdir(this.dhcpDir).catch(() => [] as string[]);
    if (nets.some((n) => bridgeName(n) === bridge)) return;
    if ((await this.ip.bridgeMembers(bridge)).length) return;
    const { stdout } = await (this.opts.exec ?? realExec)("ip", ["-j", "addr", "show", "dev", bridge], { allowFail: true });
    if (stdout.trim() && parseIpv4Addrs(stdout).length) return;
    await this.ip.deleteLink(bridge);
  }

  async attachToDomain(domain: string, port: PortSpec): Promise<void> {
    const { bridge, tap } = await this.plugPort(port);
    const args = ["attach-interface", "--domain", domain, "--type", "bridge", "--source", bridge, "--mac", port.mac, "--target", tap, "--model", "virtio"];
    try {
      await this.virsh([...args, ...(await this.liveFlags(domain))]);
    } catch (err) {
      await this.unplugPort(port);
      throw err;
    }
  }

  async detachFromDomain(domain: string, port: PortSpec): Promise<void> {
    const r = await this.virsh(["detach-interface", "--domain", domain, "--type", "bridge", "--mac", port.mac, ...(await this.liveFlags(domain))], true);
    if (r.code !== 0 && !/No (matching|found) interface|not found/i.test(r.stderr)) throw new Error(`virsh detach-interface failed: ${r.stderr.trim()}`);
    await this.unplugPort(port);
  }

  private virsh(args: string[], allowFail = false) {
    return (this.opts.exec ?? realExec)("virsh", ["-c", this.opts.libvirtUri ?? "qemu:///system", ...args], { allowFail });
  }

  /** A running domain changes now and in its config; a stopped one in its config only. */
  private async liveFlags(domain: string) {
    const { stdout } = await this.virsh(["domstate", domain]);
    return stdout.trim() === "running" ? ["--live", "--config"] : ["--config"];
  }

  listRouters(): Promise<string[]> {
    return this.routers().list();
  }

  private routers() {
    return new NamespaceRouters({ stateDir: this.opts.stateDir, exec: this.opts.exec, hostIsExternalGateway: this.opts.hostIsExternalGateway });
  }

  async listPorts(): Promise<string[]> {
    const nets = await readdir(this.dhcpDir).catch(() => [] as string[]);
    const ids = await Promise.all(nets.map(async (n) => Object.keys(await readPorts(dhcpPaths(join(this.dhcpDir, n)).ports))));
    return ids.flat().sort();
  }

  private async plug(port: PortSpec, revert: Revert): Promise<PluggedPort> {
    const paths = this.paths(port.networkId);
    const bridge = bridgeName(port.networkId);
    if (!(await this.ip.linkExists(bridge))) {
      await this.ip.addBridge(bridge);
      revert.add(() => this.ip.deleteLink(bridge));
    }
    await this.ip.setUp(bridge, port.mtu);
    // Without DHCP the host takes no address on the segment (it could only be someone else's).
    const cidr = `${port.dhcpServerIp}/${port.prefixLength}`;
    if (port.dhcp !== false && !(await this.ip.hasAddress(bridge, cidr))) {
      await this.ip.addAddress(bridge, cidr);
      revert.add(() => this.ip.deleteAddress(bridge, cidr));
    }

    if (!(await exists(paths.dir))) {
      // dnsmasq drops root: it must still traverse to and read the hosts file.
      for (const d of [this.opts.stateDir, this.dhcpDir, paths.dir]) {
        await mkdir(d, { recursive: true });
        await chmod(d, 0o755);
      }
      revert.add(() => rm(paths.dir, { recursive: true, force: true }));
    }
    const before = await readPorts(paths.ports);
    const after = { ...before, [port.portId]: port };
    await this.writeState(paths, after);
    revert.add(() => this.writeState(paths, before));

    if (port.dhcp === false) return { bridge, tap: tapName(port.portId) };
    const args = dnsmasqArgs({ ...port, bridge, logDhcp: this.opts.logDhcp }, paths);
    const running = await this.dnsmasq.running(paths.pid);
    if (running && sameArgs(running.args, args)) {
      this.dnsmasq.reload(running.pid);
    } else {
      // Not running, or started with another configuration (MTU, gateway, …).
      await this.dnsmasq.stop(paths.pid);
      await this.dnsmasq.start(args);
      revert.add(() => this.dnsmasq.stop(paths.pid));
    }
    return { bridge, tap: tapName(port.portId) };
  }

  private async unplug(port: PortSpec): Promise<void> {
    const paths = this.paths(port.networkId);
    const ports = await readPorts(paths.ports);
    const { [port.portId]: gone, ...rest } = ports;
    await this.ip.deleteLink(tapName(port.portId));

    if (Object.keys(rest).length === 0) {
      await this.dnsmasq.stop(paths.pid);
      // A router leg may still use the bridge: it stays until the router lets it go. The VXLAN leg
      // alone does not keep it: the last port leaving takes the tunnel with it.
      const members = await this.ip.bridgeMembers(bridgeName(port.networkId));
      if (members.every((m) => m === vxlanName(port.networkId))) {
        await this.ip.deleteLink(vxlanName(port.networkId));
        await this.ip.deleteLink(bridgeName(port.networkId));
      }
      await rm(paths.dir, { recursive: true, force: true });
      return;
    }
    if (!gone) return;
    await this.writeState(paths, rest);
    // A SIGHUP would keep the old lease in memory, and dnsmasq refuses to give a leased address to
    // another MAC, so the address could not be reused until the lease expired: restart without it.
    await this.dnsmasq.stop(paths.pid);
    const leases = await readFile(paths.leases, "utf8").catch(() => "");
    await writeAtomic(paths.leases, pruneLeases(leases, gone.mac, gone.ip));
    const any = Object.values(rest)[0];
    if (any?.dhcp !== false) await this.dnsmasq.start(dnsmasqArgs({ ...any, bridge: bridgeName(port.networkId), logDhcp: this.opts.logDhcp }, paths));
  }

  private paths(networkId: string): DhcpPaths {
    return dhcpPaths(join(this.dhcpDir, assertSafeId(networkId)));
  }

  private async writeState(paths: DhcpPaths, ports: PortMap): Promise<void> {
    await writeAtomic(paths.hosts, hostsFile(Object.values(ports)));
    await writePorts(paths.ports, ports);
  }

  private serialised<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.locks.run(key, work);
  }
}

const sameArgs = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
