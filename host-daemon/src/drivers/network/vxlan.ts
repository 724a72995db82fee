import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bridgeName, vxlanName, type OverlayNetwork } from "#shared";
import type { Exec } from "../../exec.js";
import { fdbDiff, FLOOD_MAC, needsRecreate, overlayIsolation, parseFloodDsts, parseVxlanDevices, VXLAN_PORT } from "./vxlan-plan.js";

export interface VxlanOptions {
  exec: Exec;
  /** This host's tunnel endpoint. */
  underlayIp: string;
  /** nft bridge table of the tunnel isolation (unique per daemon). */
  table: string;
}

/**
 * A network's VXLAN leg on this host: one device per network (no learning, head-end replication to
 * the peers listed as flood entries) enslaved to the network's bridge. Only networks with peers get
 * one, so single-host setups (and several clouds sharing a kernel in tests) create no tunnels.
 */
export class VxlanOverlay {
  constructor(private readonly o: VxlanOptions) {}

  /** Names of the VXLAN devices this host has. */
  async devices() {
    const { stdout } = await this.o.exec("ip", ["-j", "-d", "link", "show", "type", "vxlan"], { allowFail: true });
    return parseVxlanDevices(stdout).filter((d) => d.name.startsWith("vxn-"));
  }

  /** Creates or converges one network's device and flood list; the bridge must exist. */
  async ensure(net: OverlayNetwork): Promise<void> {
    const name = vxlanName(net.networkId);
    const have = (await this.devices()).find((d) => d.name === name);
    if (have && needsRecreate(have, net.vni, this.o.underlayIp)) await this.remove(name);
    if (!have || needsRecreate(have, net.vni, this.o.underlayIp)) {
      await this.o.exec("ip", ["link", "add", name, "type", "vxlan", "id", String(net.vni), "dstport", String(VXLAN_PORT), "local", this.o.underlayIp, "nolearning"]);
    }
    await this.o.exec("ip", ["link", "set", "dev", name, "mtu", String(net.mtu), "master", bridgeName(net.networkId), "up"]);
    const { stdout } = await this.o.exec("bridge", ["-j", "fdb", "show", "dev", name], { allowFail: true });
    const diff = fdbDiff(parseFloodDsts(stdout), net.peers);
    for (const dst of diff.add) await this.o.exec("bridge", ["fdb", "append", FLOOD_MAC, "dev", name, "dst", dst]);
    for (const dst of diff.remove) await this.o.exec("bridge", ["fdb", "del", FLOOD_MAC, "dev", name, "dst", dst], { allowFail: true });
  }

  async remove(name: string): Promise<void> {
    await this.o.exec("ip", ["link", "del", "dev", name], { allowFail: true });
  }

  /** Host-stack traffic stays off the tunnels while any exists. */
  async isolate(active: boolean): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), "nimbus-ovl-"));
    try {
      await writeFile(join(dir, "ovl.nft"), overlayIsolation(this.o.table, active));
      await this.o.exec("nft", ["-f", join(dir, "ovl.nft")]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
