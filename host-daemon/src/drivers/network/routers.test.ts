import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bridgeName, type RouterSpec } from "#shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exec, type Exec } from "../../exec.js";
import { routerNs } from "./router-nat.js";
import { NamespaceRouters } from "./routers.js";

// Real kernel: a "host" namespace holds the tenant and external bridges (the external bridge
// carries the external gateway address: the host stands for the outside world), a namespace
// stands in for the VM, and the driver builds the router namespace with its legs and NAT.
describe("routers as namespaces: SNAT and floating IPs", () => {
  const id = randomBytes(3).toString("hex");
  const host = `nrt-h-${id}`;
  const vm = `nrt-v-${id}`;
  const tenantNet = randomUUID();
  const extNet = randomUUID();
  const t = `10.215.${Math.floor(Math.random() * 250)}`;
  const e = `172.31.${Math.floor(Math.random() * 250)}`;
  const routerId = randomUUID();
  const leg = (networkId: string, ip: string, n: number) => ({ portId: randomUUID(), networkId, mac: `fa:16:3e:0e:00:${n.toString(16).padStart(2, "0")}`, ip, prefixLength: 24 });
  const iface = leg(tenantNet, `${t}.1`, 1);
  const gw = { ...leg(extNet, `${e}.10`, 2), nexthop: `${e}.1`, enableSnat: true };
  const fip = `${e}.50`;
  const vmIp = `${t}.20`;
  const spec = (floatingIps: RouterSpec["floatingIps"]): RouterSpec => ({ routerId, interfaces: [iface], gateway: gw, floatingIps });
  let stateDir: string;
  let routers: NamespaceRouters;
  let server: ChildProcess;
  const inNs = (ns: string): Exec => (cmd, args, opts) => exec("ip", ["netns", "exec", ns, cmd, ...args], opts);
  /** True when the outside world (the host namespace) gets the VM's TCP greeting at `addr`. */
  const reachable = async (addr: string) => (await inNs(host)("busybox", ["nc", "-w", "1", addr, "22"], { allowFail: true })).stdout.includes("hello");

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "nimbus-rt-"));
    for (const ns of [host, vm]) await exec("ip", ["netns", "add", ns]);
    const h = inNs(host);
    for (const [net, addr] of [[tenantNet, null], [extNet, `${e}.1/24`]] as const) {
      await h("ip", ["link", "add", bridgeName(net), "type", "bridge"]);
      await h("ip", ["link", "set", bridgeName(net), "up"]);
      if (addr) await h("ip", ["addr", "add", addr, "dev", bridgeName(net)]);
    }
    await h("ip", ["link", "add", `vm${id}`, "type", "veth", "peer", "name", "eth0", "netns", vm]);
    await h("ip", ["link", "set", `vm${id}`, "master", bridgeName(tenantNet), "up"]);
    await inNs(vm)("ip", ["link", "set", "eth0", "up"]);
    await inNs(vm)("ip", ["addr", "add", `${vmIp}/24`, "dev", "eth0"]);
    await inNs(vm)("ip", ["route", "add", "default", "via", iface.ip]);
    server = spawn("ip", ["netns", "exec", vm, "busybox", "nc", "-ll", "-p", "22", "-e", "echo", "hello"], { stdio: "ignore" });
    routers = new NamespaceRouters({ stateDir, exec: h });
  });

  afterAll(async () => {
    server?.kill();
    await routers?.delete(routerId);
    for (const ns of [host, vm]) await exec("ip", ["netns", "del", ns], { allowFail: true });
    await rm(stateDir, { recursive: true, force: true });
  });

  it("SNATs the tenant subnet to the gateway address", async () => {
    await routers.apply(spec([]));
    await expect.poll(async () => (await inNs(vm)("busybox", ["ping", "-c", "1", "-W", "1", `${e}.1`], { allowFail: true })).code, { timeout: 10_000, interval: 100 }).toBe(0);
    expect(await reachable(vmIp)).toBe(false);
  });

  it("makes the VM reachable at its floating IP, and unreachable once it is removed", async () => {
    const started = Date.now();
    await routers.apply(spec([{ floatingIp: fip, fixedIp: vmIp }]));
    await expect.poll(() => reachable(fip), { timeout: 10_000, interval: 50 }).toBe(true);
    console.log(`floating IP reachable ${Date.now() - started} ms after the router was told`);
    await routers.apply(spec([]));
    expect(await reachable(fip)).toBe(false);
  });

  it("is idempotent and removes everything on delete", async () => {
    await routers.apply(spec([{ floatingIp: fip, fixedIp: vmIp }]));
    await routers.apply(spec([{ floatingIp: fip, fixedIp: vmIp }]));
    await expect.poll(() => reachable(fip), { timeout: 10_000, interval: 50 }).toBe(true);
    await routers.delete(routerId);
    expect((await exec("ip", ["netns", "exec", routerNs(routerId), "true"], { allowFail: true })).code).not.toBe(0);
    expect(await reachable(fip)).toBe(false);
    // The tenant bridge still has the VM; nothing the router made is left in the host namespace.
    const links = (await inNs(host)("ip", ["-o", "link", "show"])).stdout;
    expect(links).toContain(bridgeName(tenantNet));
    expect(links).not.toMatch(/q[rg]i[0-9a-f]{11}/);
  });

  it("removes a leg dropped from the spec, and a bridge only that leg used", async () => {
    const lonelyNet = randomUUID();
    const extra = leg(lonelyNet, "10.216.0.1", 3);
    await routers.apply({ ...spec([]), interfaces: [iface, extra] });
    expect((await inNs(host)("ip", ["link", "show", "dev", bridgeName(lonelyNet)], { allowFail: true })).code).toBe(0);
    await routers.apply(spec([]));
    expect((await inNs(host)("ip", ["link", "show", "dev", bridgeName(lonelyNet)], { allowFail: true })).code).not.toBe(0);
    await expect.poll(async () => (await inNs(vm)("busybox", ["ping", "-c", "1", "-W", "1", `${e}.1`], { allowFail: true })).code, { timeout: 10_000, interval: 100 }).toBe(0);
  });
});
