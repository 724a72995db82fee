import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bridgeName, vxlanName } from "#shared";
import { firewallTable } from "../../host-daemon/src/drivers/network/firewall-rules.js";
import { startNetnsCloud, type NetnsCloud, type NetnsHost } from "./netns-hosts.js";

// Two hosts in two network namespaces, one edge, real guests under TCG: tenant L2 across hosts over
// VXLAN, isolation between projects, and security groups across the tunnel.
let env: NetnsCloud;
beforeAll(async () => {
  env = await startNetnsCloud(2);
}, 300_000);
afterAll(async () => { await env?.stop(); }, 120_000);

const json = (out: string) => JSON.parse(out.slice(out.indexOf("{")));
const A_IP = "10.0.0.21";
const B_IP = "10.0.0.22";

/** A guest's serial console, read from its host's state directory. */
const consoleOf = (host: NetnsHost, serverId: string) => readFile(join(host.stateDir, "instances", serverId, "console.log"), "utf8").catch(() => "");

/** Resolves with the wall time at which `pattern` first shows on the console (after `from` characters). */
async function waitConsole(host: NetnsHost, serverId: string, pattern: RegExp, timeoutMs = 240_000, from = 0): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = (await consoleOf(host, serverId)).slice(from);
    if (pattern.test(text)) return Date.now();
    if (Date.now() > deadline) throw new Error(`console of ${serverId} on ${host.id} never matched ${pattern}:\n${text}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const script = (body: string) => `#!/bin/sh\nsay() { echo "vx: $*"; }\n${body}\n`;

describe("multi-host tenant networks over VXLAN (two hosts in namespaces)", () => {
  it("A on host 1 pings B on host 2; another project's VM cannot; a TCP 22 rule opens exactly that port", async () => {
    const [h1, h2] = env.hosts as [NetnsHost, NetnsHost];
    const os = env.cloud.openstack;
    const dir = env.cloud.stateDir;
    // Zones pin the guests to hosts (members may pick a zone, only admins a host).
    for (const [i, h] of [[1, h1], [2, h2]] as const) {
      await os(["aggregate", "create", "--zone", `vx${i}`, `vx-agg${i}`], "nimbus-admin");
      await os(["aggregate", "add", "host", `vx-agg${i}`, h.id], "nimbus-admin");
    }
    // A group that lets ICMP in (so A can ping B) but no TCP yet.
    await os(["security", "group", "create", "vx-sg"]);
    await os(["security", "group", "rule", "create", "--ingress", "--protocol", "icmp", "vx-sg"]);

    await writeFile(join(dir, "ud-a"), script(`
say "pinging from uptime=$(cut -d' ' -f1 /proc/uptime)"
until ping -c 1 -W 1 ${B_IP} >/dev/null 2>&1; do :; done
say "ping ${B_IP} ok uptime=$(cut -d' ' -f1 /proc/uptime)"
while :; do
  for p in 22 23; do
    if nc -w 2 ${B_IP} $p </dev/null 2>/dev/null | grep -q srv$p; then say "nc $p open"; else say "nc $p closed"; fi
  done
done`));
    await writeFile(join(dir, "ud-b"), script(`
nc -ll -p 22 -e /bin/echo srv22 &
nc -ll -p 23 -e /bin/echo srv23 &
say "listening"
until ping -c 1 -W 1 10.0.0.1 >/dev/null 2>&1; do :; done
say "gateway ok"`));
    await writeFile(join(dir, "ud-c"), script(`
while :; do
  for ip in ${A_IP} ${B_IP}; do
    if ping -c 1 -W 1 $ip >/dev/null 2>&1; then say "reach $ip ok"; else say "reach $ip failed"; fi
  done
done`));

    // The subnet's gateway lives only in the router's namespace, on the router host (host 1).
    await os(["router", "create", "vx-r"]);
    await os(["router", "add", "subnet", "vx-r", "private-subnet"]);

    const portCreated = Date.now();
    const pa = json(await os(["port", "create", "--network", "private", "--fixed-ip", `ip-address=${A_IP}`, "--security-group", "vx-sg", "vx-pa", "-f", "json"]));
    const pb = json(await os(["port", "create", "--network", "private", "--fixed-ip", `ip-address=${B_IP}`, "--security-group", "vx-sg", "vx-pb", "-f", "json"]));
    // The other project (admin) has a network with the same CIDR and its own VM on host 1.
    await os(["network", "create", "vx-other"], "nimbus-admin");
    await os(["subnet", "create", "--network", "vx-other", "--subnet-range", "10.0.0.0/24", "vx-other-sub"], "nimbus-admin");
    const pc = json(await os(["port", "create", "--network", "vx-other", "--fixed-ip", "ip-address=10.0.0.23", "--disable-port-security", "vx-pc", "-f", "json"], "nimbus-admin"));

    const boot = (name: string, port: string, zone: string, ud: string, cloud?: string) =>
      os(["server", "create", "--flavor", "m1.tiny", "--image", "nimbus-guest", "--port", port, "--availability-zone", zone,
        "--config-drive", "True", "--user-data", join(dir, ud), name, "--wait", "-f", "json"], cloud).then(json);
    const [a, b, c] = await Promise.all([boot("vx-a", pa.id, "vx1", "ud-a"), boot("vx-b", pb.id, "vx2", "ud-b"), boot("vx-c", pc.id, "vx1", "ud-c", "nimbus-admin")]);
    expect([a.status, b.status, c.status]).toEqual(["ACTIVE", "ACTIVE", "ACTIVE"]);

    // Each host has the network's tunnel with the other as its only flood destination.
    const privateId = json(await os(["network", "show", "private", "-f", "json"])).id as string;
    for (const [h, peer] of [[h1, h2], [h2, h1]] as const) {
      const dev = JSON.parse(await h.exec("ip", ["-j", "-d", "link", "show", "dev", vxlanName(privateId)]))[0];
      expect(dev).toMatchObject({ master: bridgeName(privateId), linkinfo: { info_data: { local: h.underlayIp, port: 4789 } } });
      const flood = JSON.parse(await h.exec("bridge", ["-j", "fdb", "show", "dev", vxlanName(privateId)])).filter((e: { mac: string }) => e.mac === "00:00:00:00:00:00");
      expect(flood.map((e: { dst: string }) => e.dst)).toEqual([peer.underlayIp]);
      // The host-local DHCP and metadata addresses stay off the tunnel.
      expect(await h.exec("nft", ["list", "table", "bridge", `${firewallTable(h.namePrefix)}_ovl`])).toContain('oifname "vxn-*" drop');
    }

    const leaseB = await waitConsole(h2, b.id, new RegExp(`eth0 lease ${B_IP.replace(/\./g, "\\.")}/24`));
    const leaseA = await waitConsole(h1, a.id, new RegExp(`eth0 lease ${A_IP.replace(/\./g, "\\.")}/24`));
    await waitConsole(h1, c.id, /eth0 lease 10\.0\.0\.23\/24/);
    await waitConsole(h2, b.id, /vx: listening/);
    const pinged = await waitConsole(h1, a.id, new RegExp(`vx: ping ${B_IP.replace(/\./g, "\\.")} ok`));
    const aLog = await consoleOf(h1, a.id);
    const [from, ok] = [/vx: pinging from uptime=([\d.]+)/, /vx: ping \S+ ok uptime=([\d.]+)/].map((r) => Number(aLog.match(r)![1]));
    console.log(`port create → DHCP lease on the console: A ${leaseA - portCreated} ms, B ${leaseB - portCreated} ms (3 guests downloading and booting under TCG at once); ` +
      `A's first ping of B: ${Math.round((ok! - from!) * 1000)} ms after its script started (guest clock); both leases seen → ping seen ${pinged - Math.max(leaseA, leaseB)} ms`);

    // B, on host 2, reaches the gateway in host 1's router namespace through the tunnel; no host
    // bridge claims that address.
    await waitConsole(h2, b.id, /vx: gateway ok/, 120_000);
    for (const h of [h1, h2]) expect(await h.exec("ip", ["-o", "-4", "addr", "show", "dev", bridgeName(privateId)])).not.toContain("10.0.0.1/");

    // Before the rule, neither TCP port is reachable (B's group lets only ICMP in).
    await waitConsole(h1, a.id, /vx: nc 22 closed/);
    await waitConsole(h1, a.id, /vx: nc 23 closed/);
    const before = (await consoleOf(h1, a.id)).length;
    const ruleAt = Date.now();
    await os(["security", "group", "rule", "create", "--ingress", "--protocol", "tcp", "--dst-port", "22", "vx-sg"]);
    const opened = await waitConsole(h1, a.id, /vx: nc 22 open/, 120_000, before);
    const afterOpen = (await consoleOf(h1, a.id)).length;
    await waitConsole(h1, a.id, /vx: nc 23 closed/, 60_000, afterOpen);
    await waitConsole(h1, a.id, /vx: nc 22 open/, 60_000, afterOpen);
    expect((await consoleOf(h1, a.id)).slice(afterOpen)).not.toContain("nc 23 open");
    console.log(`rule create started → port 22 reachable from A: ${opened - ruleAt} ms`);

    // The other project's VM, on the same host as A and the same CIDR, reaches neither.
    const cStart = (await consoleOf(h1, c.id)).length;
    for (let i = 0; i < 3; i++) {
      await waitConsole(h1, c.id, new RegExp(`reach ${B_IP.replace(/\./g, "\\.")} failed`), 60_000, (await consoleOf(h1, c.id)).length);
    }
    const cLog = (await consoleOf(h1, c.id)).slice(cStart);
    expect(cLog).toContain(`reach ${A_IP} failed`);
    expect(cLog).not.toMatch(/reach \S+ ok/);

    await Promise.all(["vx-a", "vx-b"].map((n) => os(["server", "delete", "--wait", n])).concat(os(["server", "delete", "--wait", "vx-c"], "nimbus-admin")));
    // With its last port gone, host 2 drops the tunnel; host 1 too once the router goes.
    await os(["router", "remove", "subnet", "vx-r", "private-subnet"]);
    await os(["router", "delete", "vx-r"]);
    for (const h of [h1, h2]) {
      await expect.poll(() => h.exec("ip", ["-j", "link", "show", "type", "vxlan"]).then((o) => o.includes("vxn-")), { timeout: 60_000, interval: 500 }).toBe(false);
    }
  }, 900_000);
});
