import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bridgeName, type RouterSpec } from "../../shared/src/index.js";
import { exec, type Exec } from "../../host-daemon/src/exec.js";
import { NamespaceRouters } from "../../host-daemon/src/drivers/network/routers.js";

/**
 * Real kernel, two hosts: each "host" is a namespace with its own tenant and external bridges,
 * uplinked to a fabric namespace (the physical networks; it also plays the outside world at the
 * external gateway address). A router runs on host 1 and serves a floating IP; host 1 is lost
 * (its uplinks go down), host 2 builds the same router from the same spec and the VM answers
 * again at its floating IP; host 1 comes back and removes its stale namespace without breaking it.
 */
describe("a router moved between two hosts keeps its gateway, SNAT and floating IP", () => {
  const id = randomBytes(3).toString("hex");
  const fabric = `nrf-f-${id}`;
  const vm = `nrf-v-${id}`;
  const hostNs = [`nrf-h1-${id}`, `nrf-h2-${id}`];
  const tenantNet = randomUUID();
  const extNet = randomUUID();
  const t = `10.217.${Math.floor(Math.random() * 250)}`;
  const e = `172.30.${Math.floor(Math.random() * 250)}`;
  const routerId = randomUUID();
  const leg = (networkId: string, ip: string, n: number) => ({ portId: randomUUID(), networkId, mac: `fa:16:3e:0f:00:${n.toString(16).padStart(2, "0")}`, ip, prefixLength: 24 });
  const fip = `${e}.50`;
  const vmIp = `${t}.20`;
  const spec: RouterSpec = { routerId, interfaces: [leg(tenantNet, `${t}.1`, 1)], gateway: { ...leg(extNet, `${e}.10`, 2), nexthop: `${e}.1`, enableSnat: true }, floatingIps: [{ floatingIp: fip, fixedIp: vmIp }] };
  const inNs = (ns: string): Exec => (cmd, args, opts) => exec("ip", ["netns", "exec", ns, cmd, ...args], opts);
  const nsName = (host: number) => (rid: string) => `qrouter-nrf${host}-${id}-${rid}`;
  let stateDir: string;
  let drivers: NamespaceRouters[];
  let server: ChildProcess;
  /** The outside world gets the VM's TCP greeting at the floating IP. */
  const reachable = async () => (await inNs(fabric)("busybox", ["nc", "-w", "1", fip, "22"], { allowFail: true })).stdout.includes("hello");
  /** The VM reaches the outside world through SNAT (ping of the external gateway). */
  const vmGetsOut = async () => (await inNs(vm)("busybox", ["ping", "-c", "1", "-W", "1", `${e}.1`], { allowFail: true })).code === 0;
  const uplinks = (host: number, state: "up" | "down") => Promise.all(["t", "e"].map((k) => inNs(fabric)("ip", ["link", "set", `u${k}${host}${id}`, state])));
  const nsExists = async (ns: string) => (await exec("ip", ["netns", "exec", ns, "true"], { allowFail: true })).code === 0;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "nimbus-rf-"));
    for (const ns of [fabric, vm, ...hostNs]) await exec("ip", ["netns", "add", ns]);
    const f = inNs(fabric);
    for (const [br, addr] of [["ten", null], ["ext", `${e}.1/24`]] as const) {
      await f("ip", ["link", "add", br, "type", "bridge"]);
      await f("ip", ["link", "set", br, "up"]);
      if (addr) await f("ip", ["addr", "add", addr, "dev", br]);
    }
    for (const [i, ns] of hostNs.entries()) {
      const h = inNs(ns);
      for (const [k, net, fbr] of [["t", tenantNet, "ten"], ["e", extNet, "ext"]] as const) {
        await h("ip", ["link", "add", bridgeName(net), "type", "bridge"]);
        await h("ip", ["link", "set", bridgeName(net), "up"]);
        await f("ip", ["link", "add", `u${k}${i + 1}${id}`, "type", "veth", "peer", "name", "uplink", "netns", ns]);
        await h("ip", ["link", "set", "uplink", "name", `up${k}`]);
        await h("ip", ["link", "set", `up${k}`, "master", bridgeName(net), "up"]);
        await f("ip", ["link", "set", `u${k}${i + 1}${id}`, "master", fbr, "up"]);
      }
    }
    await f("ip", ["link", "add", `vm${id}`, "type", "veth", "peer", "name", "eth0", "netns", vm]);
    await f("ip", ["link", "set", `vm${id}`, "master", "ten", "up"]);
    await inNs(vm)("ip", ["link", "set", "eth0", "up"]);
    await inNs(vm)("ip", ["addr", "add", `${vmIp}/24`, "dev", "eth0"]);
    await inNs(vm)("ip", ["route", "add", "default", "via", `${t}.1`]);
    server = spawn("ip", ["netns", "exec", vm, "busybox", "nc", "-ll", "-p", "22", "-e", "echo", "hello"], { stdio: "ignore" });
    drivers = hostNs.map((ns, i) => new NamespaceRouters({ stateDir: join(stateDir, `h${i + 1}`), exec: inNs(ns), namespaceOf: nsName(i + 1) }));
  });

  afterAll(async () => {
    server?.kill();
    for (const d of drivers ?? []) await d.delete(routerId).catch(() => undefined);
    for (const ns of [fabric, vm, ...hostNs]) await exec("ip", ["netns", "del", ns], { allowFail: true });
    await rm(stateDir, { recursive: true, force: true });
  });

  it("serves the floating IP from host 1, then from host 2 once host 1 is lost", async () => {
    await drivers[0].apply(spec);
    await expect.poll(reachable, { timeout: 10_000, interval: 50 }).toBe(true);
    expect(await drivers[0].list()).toEqual([routerId]);

    await uplinks(1, "down");
    expect(await reachable()).toBe(false);
    const started = Date.now();
    await drivers[1].apply(spec);
    await expect.poll(reachable, { timeout: 10_000, interval: 50 }).toBe(true);
    console.log(`floating IP answered again ${Date.now() - started} ms after the new host was told`);
    await expect.poll(vmGetsOut, { timeout: 10_000, interval: 100 }).toBe(true);
    const addrs = (await exec("ip", ["netns", "exec", nsName(2)(routerId), "ip", "-o", "-4", "addr"])).stdout;
    expect(addrs).toContain(`${e}.10/24`);
    expect(addrs).toContain(`${fip}/32`);
  });

  it("removes host 1's stale namespace when it is back, leaving host 2's router serving", async () => {
    expect(await nsExists(nsName(1)(routerId))).toBe(true);
    await drivers[0].delete(routerId); // what the edge sends a returning host for a router moved away
    await uplinks(1, "up");
    expect(await nsExists(nsName(1)(routerId))).toBe(false);
    expect(await drivers[0].list()).toEqual([]);
    const h1Links = (await inNs(hostNs[0])("ip", ["-o", "link", "show"])).stdout;
    expect(h1Links).not.toMatch(/q[rg]i[0-9a-f]{11}/);
    await expect.poll(reachable, { timeout: 10_000, interval: 50 }).toBe(true);
    expect(await drivers[1].list()).toEqual([routerId]);
  });
});
