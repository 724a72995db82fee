import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bridgeName, tapName, type FirewallPort, type FirewallRule } from "#shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exec, type Exec } from "../../exec.js";
import { NftFirewall } from "./nft-firewall.js";

// Real kernel: a "host" namespace with the network's bridge and one veth per VM port (named as
// libvirt names taps), and a namespace per VM. The firewall is applied inside the host namespace.
describe("security groups enforced with nftables", () => {
  const id = randomBytes(3).toString("hex");
  const host = `nfw-h-${id}`;
  const vms = { a: `nfw-a-${id}`, b: `nfw-b-${id}` };
  const networkId = randomUUID();
  const subnet = `10.214.${Math.floor(Math.random() * 250)}`;
  const ip = { a: `${subnet}.10`, b: `${subnet}.11` };
  const portIds = { a: randomUUID(), b: randomUUID() };
  const macs = { a: "fa:16:3e:0f:00:0a", b: "fa:16:3e:0f:00:0b" };
  const servers: ChildProcess[] = [];
  let stateDir: string;
  let fw: NftFirewall;
  const inNs = (ns: string): Exec => (cmd, args, opts) => exec("ip", ["netns", "exec", ns, cmd, ...args], opts);
  const sh = (ns: string, ...args: string[]) => inNs(ns)(args[0], args.slice(1), { allowFail: true });

  const any = (direction: FirewallRule["direction"], remote: string[] | null = null): FirewallRule => ({ direction, protocol: null, portMin: null, portMax: null, remote });
  const tcp = (port: number, remote: string[] | null = null): FirewallRule => ({ direction: "ingress", protocol: 6, portMin: port, portMax: port, remote });
  const fwPort = (vm: "a" | "b", rules: FirewallRule[], over: Partial<FirewallPort> = {}): FirewallPort => ({
    portId: portIds[vm], networkId, mac: macs[vm], ips: [ip[vm]], portSecurity: true, allowedAddressPairs: [], rules, ...over,
  });
  /** True when a TCP connection from a to b:port gets the server's greeting (positives are polled: a loaded CI box can miss one). */
  const tcpReaches = async (port: number) => (await sh(vms.a, "busybox", "nc", "-w", "1", ip.b, String(port))).stdout.includes(`hi${port}`);
  const pings = async (from: "a" | "b", to: "a" | "b") => (await sh(vms[from], "busybox", "ping", "-c", "1", "-W", "1", ip[to])).code === 0;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "nimbus-fw-"));
    for (const ns of [host, vms.a, vms.b]) await exec("ip", ["netns", "add", ns]);
    const br = bridgeName(networkId);
    await inNs(host)("ip", ["link", "add", br, "type", "bridge"]);
    await inNs(host)("ip", ["link", "set", br, "up"]);
    for (const vm of ["a", "b"] as const) {
      await inNs(host)("ip", ["link", "add", tapName(portIds[vm]), "type", "veth", "peer", "name", "eth0", "netns", vms[vm]]);
      await inNs(host)("ip", ["link", "set", tapName(portIds[vm]), "master", br, "up"]);
      await inNs(vms[vm])("ip", ["link", "set", "eth0", "address", macs[vm], "up"]);
      await inNs(vms[vm])("ip", ["addr", "add", `${ip[vm]}/24`, "dev", "eth0"]);
    }
    for (const port of [22, 23]) {
      const p = spawn("ip", ["netns", "exec", vms.b, "busybox", "nc", "-ll", "-p", String(port), "-e", "echo", `hi${port}`], { stdio: "ignore" });
      servers.push(p);
    }
    fw = new NftFirewall({ stateDir, table: `nfw_${id}`, exec: inNs(host) });
    // Wait until both listeners answer (no firewall yet).
    for (let i = 0; i < 50 && !((await tcpReaches(22)) && (await tcpReaches(23))); i++) await new Promise((r) => setTimeout(r, 100));
  });

  afterAll(async () => {
    for (const p of servers) p.kill();
    for (const ns of [host, vms.a, vms.b]) await exec("ip", ["netns", "del", ns], { allowFail: true });
    await rm(stateDir, { recursive: true, force: true });
  });

  it("opens exactly the port a rule allows, statefully, and follows rule changes", async () => {
    await expect.poll(() => tcpReaches(23), { timeout: 10_000, interval: 100 }).toBe(true);
    await fw.apply([fwPort("a", [any("egress")]), fwPort("b", [any("egress"), tcp(22, ["0.0.0.0/0"])])]);
    await expect.poll(() => tcpReaches(22), { timeout: 10_000, interval: 100 }).toBe(true);
    expect(await tcpReaches(23)).toBe(false);
    expect(await pings("a", "b")).toBe(false);
    await fw.apply([fwPort("a", [any("egress")]), fwPort("b", [any("egress"), tcp(22, ["0.0.0.0/0"]), tcp(23, ["0.0.0.0/0"])])]);
    await expect.poll(() => tcpReaches(23), { timeout: 10_000, interval: 100 }).toBe(true);
  });

  it("lets remote-group rules follow the group's members", async () => {
    await fw.apply([fwPort("a", [any("egress")]), fwPort("b", [any("egress"), any("ingress", [`${ip.a}/32`])])]);
    await expect.poll(() => pings("a", "b"), { timeout: 10_000, interval: 100 }).toBe(true);
    // a leaves the group: b's rule now has no remote members.
    await fw.apply([fwPort("a", [any("egress")]), fwPort("b", [any("egress"), any("ingress", [])])]);
    expect(await pings("a", "b")).toBe(false);
  });

  it("drops spoofed source addresses unless port security is off", async () => {
    await fw.apply([fwPort("a", [any("egress")]), fwPort("b", [any("egress"), tcp(22, ["0.0.0.0/0"])])]);
    const spoofed = `${subnet}.99`;
    await sh(vms.a, "ip", "addr", "flush", "dev", "eth0");
    await sh(vms.a, "ip", "addr", "add", `${spoofed}/24`, "dev", "eth0");
    try {
      expect(await tcpReaches(22)).toBe(false);
      await fw.apply([fwPort("a", [], { portSecurity: false }), fwPort("b", [any("egress"), tcp(22, ["0.0.0.0/0"])])]);
      await expect.poll(() => tcpReaches(22), { timeout: 10_000, interval: 100 }).toBe(true);
    } finally {
      await sh(vms.a, "ip", "addr", "flush", "dev", "eth0");
      await sh(vms.a, "ip", "addr", "add", `${ip.a}/24`, "dev", "eth0");
    }
  });

  it("removes its tables when no port is left", async () => {
    await fw.apply([]);
    expect((await inNs(host)("nft", ["list", "tables"])).stdout).not.toContain(`nfw_${id}`);
    await expect.poll(() => tcpReaches(23), { timeout: 10_000, interval: 100 }).toBe(true);
  });
});
