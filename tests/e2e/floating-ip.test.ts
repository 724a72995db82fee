import { execFile, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGuestCloud, type AllInOne } from "./all-in-one.js";

const run = promisify(execFile);

/**
 * A VM behind a router reached from outside through its floating IP, timed: the host plays the
 * external world (NIMBUS_HOST_EXTERNAL_GATEWAY=1 puts the external gateway address on its bridge).
 * Own CIDRs so it can run beside other clouds on the machine.
 */
let cloud: AllInOne;
const octet = 120 + Math.floor(Math.random() * 100);
const [privateCidr, publicCidr] = [`10.80.${octet}.0/24`, `172.24.${octet}.0/24`];
beforeAll(async () => {
  cloud = await startGuestCloud({ NIMBUS_HOST_EXTERNAL_GATEWAY: "1", NIMBUS_PRIVATE_CIDR: privateCidr, NIMBUS_PUBLIC_CIDR: publicCidr });
}, 180_000);

/** Bridges left with this cloud's addresses (the external gateway's, the DHCP server's) once it stopped. */
async function removeOurBridges() {
  const { stdout } = await run("ip", ["-o", "-4", "addr", "show"]);
  const prefixes = [privateCidr, publicCidr].map((c) => c.replace(/0\/24$/, ""));
  const bridges = stdout.split("\n").filter((l) => prefixes.some((p) => l.includes(` inet ${p}`))).map((l) => l.split(/\s+/)[1]).filter((d) => d?.startsWith("nbr-"));
  for (const br of new Set(bridges)) {
    if (!(await run("ip", ["-o", "link", "show", "master", br])).stdout.trim()) await run("ip", ["link", "del", br]).catch(() => undefined);
  }
}
afterAll(async () => {
  // Even after a failure: the VM and the router's namespace must not outlive the test.
  for (const args of [["server", "delete", "--wait", "vm1"], ["router", "remove", "subnet", "r1", subnetId], ["router", "delete", "r1"]]) {
    if (cloud && subnetId) await cloud.openstack(args).catch(() => undefined);
  }
  await cloud?.stop();
  await removeOurBridges();
});
let subnetId = "";

const os = (...args: string[]) => cloud.openstack(args);
const json = async (...args: string[]) => { const out = await os(...args, "-f", "json"); return JSON.parse(out.slice(out.search(/[[{]/))) as Record<string, any>; }; // eslint-disable-line @typescript-eslint/no-explicit-any
const pings = async (ip: string) => (await run("busybox", ["ping", "-c", "1", "-W", "1", ip]).then(() => true, () => false));

/** Pings `ip` every 100 ms from now on; resolves with the ms from `since` to its first reply. */
function firstReply(ip: string, since: number, timeoutS: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn("busybox", ["ping", "-i", "0.1", "-w", String(timeoutS), ip], { stdio: ["ignore", "pipe", "ignore"] });
    p.stdout.on("data", (d: Buffer) => {
      if (!d.toString().includes("bytes from")) return;
      resolve(Date.now() - since);
      p.kill();
    });
    p.once("exit", () => reject(new Error(`${ip} did not answer within ${timeoutS} s`)));
  });
}

/** Polls `check` every 100 ms until it holds; returns the elapsed ms since `since`. */
async function until(check: () => boolean | Promise<boolean>, since: number, timeoutMs: number, what: string): Promise<number> {
  while (!(await check())) {
    if (Date.now() - since > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return Date.now() - since;
}

describe("floating IPs through a scheduled router", () => {
  it("reaches a VM from outside once its floating IP is set, and measures how long that takes", async () => {
    await os("security", "group", "rule", "create", "--protocol", "icmp", "--ingress", "default");
    subnetId = (await os("subnet", "list", "--network", "private", "-f", "value", "-c", "ID")).trim();
    await os("router", "create", "r1");
    await os("router", "set", "--external-gateway", "public", "r1");
    await os("router", "add", "subnet", "r1", subnetId);

    const portStart = Date.now();
    const port = await json("port", "create", "--network", "private", "p1");
    const fixedIp: string = port.fixed_ips[0].ip_address;
    const server = await json("server", "create", "--flavor", "m1.tiny", "--image", "nimbus-guest", "--port", "p1", "vm1", "--wait");
    expect(server.status).toBe("ACTIVE");
    const activeMs = Date.now() - portStart;
    const consoleFile = join(cloud.hostStateDir, "instances", server.id, "console.log");
    const leaseLine = `nimbus-guest: eth0 lease ${fixedIp}/24`;
    expect(fixedIp.startsWith(privateCidr.replace(/0\/24$/, ""))).toBe(true);
    const consoleText = () => (existsSync(consoleFile) ? readFileSync(consoleFile, "utf8") : "");
    const firstOutputMs = await until(() => consoleText().length > 0, portStart, 180_000, "the guest's first console output");
    const leaseMs = await until(() => consoleText().includes(leaseLine), portStart, 180_000, "the DHCP lease");
    console.log(`guest console: ${consoleText().split("\n").filter((l) => /nimbus-guest|udhcpc/.test(l)).join(" | ")}`);

    const fip = await json("floating", "ip", "create", "public");
    const fipAddress: string = fip.floating_ip_address;
    expect(await pings(fipAddress)).toBe(false); // not associated yet: nothing answers
    const setStart = Date.now();
    const reach = firstReply(fipAddress, setStart, 60);
    await os("floating", "ip", "set", "--port", "p1", fipAddress);
    const cliMs = Date.now() - setStart;
    const reachMs = await reach;
    console.log(`port create → ACTIVE ${activeMs} ms; → first console output ${firstOutputMs} ms; → DHCP lease in guest ${leaseMs} ms; ` +
      `floating ip set (CLI returned ${cliMs} ms) → VM answers ping on ${fipAddress} ${reachMs} ms`);

    await os("floating", "ip", "unset", "--port", fipAddress);
    await until(async () => !(await pings(fipAddress)), Date.now(), 30_000, "the floating IP to stop answering");

    // The same association as one API call (no CLI start-up, auth and name lookups in the figure).
    const token = (await os("token", "issue", "-f", "value", "-c", "id")).trim();
    const apiStart = Date.now();
    const apiReach = firstReply(fipAddress, apiStart, 60);
    const res = await fetch(`${cloud.apiUrl}/network/v2.0/floatingips/${fip.id}`, {
      method: "PUT", headers: { "X-Auth-Token": token, "Content-Type": "application/json" }, body: JSON.stringify({ floatingip: { port_id: port.id } }),
    });
    expect(res.status).toBe(200);
    const apiMs = Date.now() - apiStart;
    const apiReachMs = await apiReach;
    console.log(`PUT /floatingips (answered ${apiMs} ms) → VM answers ping ${apiReachMs} ms`);

    // The server-centric CLI verbs find the server's port themselves.
    await os("server", "remove", "floating", "ip", "vm1", fipAddress);
    await until(async () => !(await pings(fipAddress)), Date.now(), 30_000, "the floating IP to stop answering after server remove");
    const addStart = Date.now();
    const addReach = firstReply(fipAddress, addStart, 60);
    await os("server", "add", "floating", "ip", "vm1", fipAddress);
    expect(await addReach).toBeGreaterThanOrEqual(0);
    expect((await json("floating", "ip", "show", fipAddress)).port_id).toBe(port.id);
  }, 600_000);
});
