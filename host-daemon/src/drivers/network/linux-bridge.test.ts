import { randomBytes, randomUUID } from "node:crypto";
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bridgeName, tapName, vxlanName, type PortSpec } from "#shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { exec, type Exec } from "../../exec.js";
import { LinuxBridgeNetworkDriver } from "./linux-bridge.js";

// Real ip and dnsmasq, as root. Each test runs the driver inside its own network namespace, so
// nothing it creates touches the host's interfaces and a crashed test leaves nothing behind there.
describe("LinuxBridgeNetworkDriver", () => {
  let ns: string;
  let stateDir: string;
  let inNs: Exec;
  let networkId: string;
  let subnet: string;
  const namespaces: string[] = [];

  const newNs = async (prefix: string) => {
    const name = `${prefix}-${randomBytes(4).toString("hex")}`;
    await exec("ip", ["netns", "add", name]);
    namespaces.push(name);
    return name;
  };
  const port = (n: number, over: Partial<PortSpec> = {}): PortSpec => ({
    portId: randomUUID(),
    networkId,
    mac: `fa:16:3e:00:00:${n.toString(16).padStart(2, "0")}`,
    ip: `${subnet}.${10 + n}`,
    prefixLength: 24,
    gateway: `${subnet}.1`,
    dhcpServerIp: `${subnet}.2`,
    mtu: 1450,
    ...over,
  });
  const dhcpDir = () => join(stateDir, "dhcp", networkId);
  const dnsmasqPid = async () => Number(await readFile(join(dhcpDir(), "pid"), "utf8"));
  const alive = (pid: number) => readFile(`/proc/${pid}/cmdline`, "utf8").then((c) => c.startsWith("dnsmasq"), () => false);
  const linkExists = async (name: string) => (await inNs("ip", ["link", "show", "dev", name], { allowFail: true })).code === 0;

  beforeEach(async () => {
    ns = await newNs("nimbus-t");
    inNs = (cmd, args, opts) => exec("ip", ["netns", "exec", ns, cmd, ...args], opts);
    stateDir = await mkdtemp(join(tmpdir(), "nimbus-net-"));
    networkId = randomUUID();
    subnet = `10.213.${Math.floor(Math.random() * 250)}`;
  });

  afterEach(async () => {
    const pid = await dnsmasqPid().catch(() => 0);
    if (pid && (await alive(pid))) process.kill(pid, "SIGKILL");
    for (const n of namespaces.splice(0)) await exec("ip", ["netns", "del", n], { allowFail: true });
    await rm(stateDir, { recursive: true, force: true });
  });

  it("plugs two ports into one bridge and DHCP server, and tears both down", async () => {
    const driver = new LinuxBridgeNetworkDriver({ stateDir, exec: inNs });
    const [a, b] = [port(1), port(2)];
    const bridge = bridgeName(networkId);
    expect(await driver.plugPort(a)).toEqual({ bridge, tap: tapName(a.portId) });
    const pid = await dnsmasqPid();
    await driver.plugPort(b);
    await driver.plugPort(b);

    const addrs = (await inNs("ip", ["-j", "addr", "show", "dev", bridge])).stdout;
    expect(addrs).toContain(`"local":"${subnet}.2","prefixlen":24`);
    expect(addrs).toContain('"mtu":1450');
    expect(await dnsmasqPid()).toBe(pid);
    expect(await alive(pid)).toBe(true);
    expect(await readFile(join(dhcpDir(), "hosts"), "utf8")).toBe(
      `fa:16:3e:00:00:01,${subnet}.11\nfa:16:3e:00:00:02,${subnet}.12\n`,
    );
    expect((await stat(join(dhcpDir(), "hosts"))).mode & 0o777).toBe(0o644);
    expect(await driver.listPorts()).toEqual([a.portId, b.portId].sort());
    // A new driver (daemon restart) sees the same ports.
    expect(await new LinuxBridgeNetworkDriver({ stateDir, exec: inNs }).listPorts()).toHaveLength(2);

    await driver.unplugPort(a);
    expect(await readFile(join(dhcpDir(), "hosts"), "utf8")).toBe(`fa:16:3e:00:00:02,${subnet}.12\n`);
    expect(await alive(await dnsmasqPid())).toBe(true);
    expect(await driver.listPorts()).toEqual([b.portId]);

    const last = await dnsmasqPid();
    await driver.unplugPort(b);
    await driver.unplugPort(b);
    expect(await linkExists(bridge)).toBe(false);
    expect(await alive(last)).toBe(false);
    await expect(stat(dhcpDir())).rejects.toThrow();
    expect(await driver.listPorts()).toEqual([]);
  }, 30_000);

  it("reverts the bridge and files when dnsmasq cannot start", async () => {
    const failing: Exec = (cmd, args, opts) =>
      cmd === "dnsmasq" ? Promise.reject(new Error("dnsmasq: injected failure")) : inNs(cmd, args, opts);
    const driver = new LinuxBridgeNetworkDriver({ stateDir, exec: failing });
    await expect(driver.plugPort(port(1))).rejects.toThrow("injected failure");
    expect(await linkExists(bridgeName(networkId))).toBe(false);
    await expect(stat(dhcpDir())).rejects.toThrow();
  }, 30_000);

  it("hands a DHCP client exactly its port's fixed IP, and the IP to a new port after unplug", async () => {
    const driver = new LinuxBridgeNetworkDriver({ stateDir, exec: inNs });
    const client = await newNs("nimbus-c");
    const script = join(stateDir, "udhcpc.sh");
    await writeFile(script, `#!/bin/sh\n[ "$1" = bound ] && echo "ip=$ip mask=$mask router=$router mtu=$mtu" > "${stateDir}/lease"\nexit 0\n`);
    await chmod(script, 0o755);

    /** Plays the guest: a veth whose host end is the port's tap, enslaved to the bridge. */
    const dhcp = async (p: PortSpec) => {
      const started = Date.now();
      const { bridge, tap } = await driver.plugPort(p);
      await inNs("ip", ["link", "add", tap, "type", "veth", "peer", "name", "eth0", "netns", client]);
      await inNs("ip", ["link", "set", tap, "master", bridge, "up"]);
      await exec("ip", ["-n", client, "link", "set", "eth0", "address", p.mac, "up"]);
      await rm(join(stateDir, "lease"), { force: true });
      await exec("ip", ["netns", "exec", client, "busybox", "udhcpc", "-i", "eth0", "-q", "-n", "-t", "5", "-T", "1", "-s", script]);
      console.log(`port plugged to DHCP lease: ${Date.now() - started} ms`);
      return readFile(join(stateDir, "lease"), "utf8");
    };

    const other = port(7);
    await driver.plugPort(other);
    const first = port(1, { gateway: `${subnet}.1` });
    expect(await dhcp(first)).toBe(`ip=${subnet}.11 mask=24 router=${subnet}.1 mtu=1450\n`);
    // unplug deletes the tap (the veth), which takes the client's end with it.
    await driver.unplugPort(first);
    expect(await linkExists(tapName(first.portId))).toBe(false);

    // The same address for another MAC is handed out at once, not refused as still leased.
    const reused = port(2, { ip: first.ip });
    expect(await dhcp(reused)).toBe(`ip=${subnet}.11 mask=24 router=${subnet}.1 mtu=1450\n`);
  }, 60_000);

  it("keeps a VXLAN leg with exactly the peers' flood entries, and drops it with the last port", async () => {
    await inNs("ip", ["link", "add", "ul0", "type", "veth", "peer", "name", "ul1"]);
    await inNs("ip", ["addr", "add", "10.251.0.2/24", "dev", "ul0"]);
    await inNs("ip", ["link", "set", "ul0", "up"]);
    const driver = new LinuxBridgeNetworkDriver({ stateDir, exec: inNs, underlayIp: "10.251.0.2", firewallTable: "t_fw" });
    const vx = vxlanName(networkId);
    const bridge = bridgeName(networkId);
    const flood = async () => (JSON.parse((await inNs("bridge", ["-j", "fdb", "show", "dev", vx])).stdout) as Array<{ mac: string; dst?: string }>)
      .filter((e) => e.mac === "00:00:00:00:00:00").map((e) => e.dst).sort();
    const a = port(1);
    await driver.plugPort(a);
    const net = (peers: string[]) => [{ networkId, vni: 4242, mtu: 1450, peers }];

    await driver.applyOverlay(net(["10.251.0.3", "10.251.0.4"]));
    await driver.applyOverlay(net(["10.251.0.3", "10.251.0.4"])); // idempotent
    const [dev] = JSON.parse((await inNs("ip", ["-j", "-d", "link", "show", "dev", vx])).stdout);
    expect(dev).toMatchObject({ master: bridge, mtu: 1450, linkinfo: { info_kind: "vxlan", info_data: { id: 4242, local: "10.251.0.2", port: 4789 } } });
    expect(dev.linkinfo.info_data.learning).toBe(false);
    expect(await flood()).toEqual(["10.251.0.3", "10.251.0.4"]);
    expect((await inNs("nft", ["list", "table", "bridge", "t_fw_ovl"])).stdout).toContain('oifname "vxn-*" drop');

    await driver.applyOverlay(net(["10.251.0.4", "10.251.0.5"]));
    expect(await flood()).toEqual(["10.251.0.4", "10.251.0.5"]);

    // No peers left: no tunnel (and no isolation table), the bridge stays for the local port.
    await driver.applyOverlay(net([]));
    expect(await linkExists(vx)).toBe(false);
    expect(await linkExists(bridge)).toBe(true);
    expect((await inNs("nft", ["list", "table", "bridge", "t_fw_ovl"], { allowFail: true })).code).not.toBe(0);

    // The tunnel alone does not keep the bridge: the last port leaving takes both.
    await driver.applyOverlay(net(["10.251.0.3"]));
    await driver.unplugPort(a);
    expect(await linkExists(vx)).toBe(false);
    expect(await linkExists(bridge)).toBe(false);

    // A network announced before any local port exists gets its bridge; withdrawing it removes both.
    await driver.applyOverlay(net(["10.251.0.3"]));
    expect(await linkExists(bridge)).toBe(true);
    // Another daemon's tunnel in the same kernel is not ours to remove.
    await inNs("ip", ["link", "add", "vxn-foreign", "type", "vxlan", "id", "99", "dstport", "4789", "local", "10.251.0.2", "nolearning"]);
    await driver.applyOverlay([]);
    expect(await linkExists(vx)).toBe(false);
    expect(await linkExists(bridge)).toBe(false);
    expect(await linkExists("vxn-foreign")).toBe(true);
  }, 60_000);

  it("takes no address and runs no DHCP server for a subnet without DHCP", async () => {
    const driver = new LinuxBridgeNetworkDriver({ stateDir, exec: inNs });
    const a = port(1, { dhcp: false, dhcpServerIp: `${subnet}.1` });
    await driver.plugPort(a);
    const bridge = bridgeName(networkId);
    expect(await linkExists(bridge)).toBe(true);
    expect((await inNs("ip", ["-j", "addr", "show", "dev", bridge])).stdout).not.toContain(`"local":"${subnet}.1"`);
    await expect(dnsmasqPid()).rejects.toThrow();
    expect(await driver.listPorts()).toEqual([a.portId]);
    await driver.unplugPort(a);
    expect(await linkExists(bridge)).toBe(false);
  }, 60_000);
});
