import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAllInOne, type AllInOne } from "./all-in-one.js";

const run = promisify(execFile);
const guestImage = process.env.NIMBUS_TEST_GUEST_IMAGE;
if (!guestImage || !existsSync(guestImage)) throw new Error("NIMBUS_TEST_GUEST_IMAGE must point at a built guest image (npm test builds it)");

let cloud: AllInOne;
beforeAll(async () => {
  cloud = await startAllInOne({ NIMBUS_GUEST_IMAGE: guestImage });
  await cloud.waitForLog(/registered: \d+ vCPUs/);
}, 180_000);
afterAll(async () => { await cloud?.stop(); });

const showField = async (field: string) => (await cloud.openstack(["server", "show", "vm1", "-f", "value", "-c", field])).trim();
const waitStatus = (status: string) => expect.poll(() => showField("status"), { timeout: 120_000, interval: 500 }).toBe(status);
const consoleLog = () => cloud.openstack(["console", "log", "show", "vm1"]);

describe("the real openstack CLI against the all-in-one", () => {
  let serverId = "";
  let fixedIp = "";

  it("boots a real VM that gets exactly its port's fixed IP by DHCP", async () => {
    const started = Date.now();
    const out = await cloud.openstack(["server", "create", "--flavor", "m1.tiny", "--image", "nimbus-guest", "--network", "private", "vm1", "--wait", "-f", "json"]);
    const server = JSON.parse(out.slice(out.indexOf("{")));
    const activeMs = Date.now() - started;
    expect(server.status).toBe("ACTIVE");
    serverId = server.id;
    fixedIp = /private=([\d.]+)/.exec(JSON.stringify(server.addresses))?.[1] ?? Object.values(server.addresses as Record<string, string[]>)[0]?.[0];
    expect(fixedIp).toMatch(/^10\.0\.0\.\d+$/);
    await expect.poll(consoleLog, { timeout: 120_000, interval: 1000 }).toContain("nimbus-guest: boot complete");
    const text = await consoleLog();
    expect(text).toContain(`nimbus-guest: eth0 lease ${fixedIp}/24`);
    console.log(`create → ACTIVE ${activeMs} ms; create → guest booted ${Date.now() - started} ms`);
  });

  it("stops, starts and reboots it", async () => {
    await cloud.openstack(["server", "stop", "vm1"]);
    await waitStatus("SHUTOFF");
    expect(await showField("OS-EXT-STS:power_state")).toMatch(/Shutdown/i);
    await cloud.openstack(["server", "start", "vm1"]);
    await waitStatus("ACTIVE");
    await cloud.openstack(["server", "reboot", "vm1"]);
    await waitStatus("ACTIVE");
    expect(await showField("OS-EXT-STS:task_state")).toBe("None");
  });

  it("deletes it and leaves nothing behind", async () => {
    await cloud.openstack(["server", "delete", "--wait", "vm1"]);
    expect(await cloud.openstack(["server", "list", "-f", "value"])).not.toContain(serverId);
    const { stdout: domains } = await run("virsh", ["-c", "qemu:///system", "list", "--all", "--name"]);
    expect(domains).not.toContain(`${cloud.namePrefix}${serverId}`);
    expect(existsSync(join(cloud.hostStateDir, "instances", serverId))).toBe(false);
    const { stdout: links } = await run("ip", ["-o", "link", "show"]);
    expect(links).not.toMatch(/tap[0-9a-f]{11}.*master nbr-/);
    const dhcpDir = join(cloud.hostStateDir, "dhcp");
    const leftovers = existsSync(dhcpDir) ? readdirSync(dhcpDir).flatMap((n) => { const f = join(dhcpDir, n, "hosts"); return existsSync(f) ? [readFileSync(f, "utf8")] : []; }) : [];
    expect(leftovers.join("")).not.toContain(fixedIp);
    expect(await cloud.openstack(["port", "list", "--device-owner", "compute:nova", "-f", "value"])).toBe("");
  });

  it("answers bad input in Nova's format and creates nothing", async () => {
    await expect(cloud.openstack(["server", "create", "--flavor", "m1.tiny", "--image", "no-such-image", "--network", "private", "bad"])).rejects.toThrow(/No Image found|Could not find resource|No image/i);
    await expect(cloud.openstack(["server", "create", "--flavor", "m1.tiny", "--image", "nimbus-guest", "--network", "no-such-net", "bad"])).rejects.toThrow(/No Network found|Could not find/i);
    expect(await cloud.openstack(["server", "list", "-f", "value"])).not.toContain("bad");
  });
});
