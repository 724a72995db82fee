import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tapName } from "../../shared/src/index.js";
import { startGuestCloud, type AllInOne } from "./all-in-one.js";

const run = promisify(execFile);

let cloud: AllInOne;
beforeAll(async () => {
  cloud = await startGuestCloud();
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
    // `--wait` prints no server (and exits 0) when the build fails: show why.
    if (!out.includes("{")) throw new Error(`server create printed no server: ${await cloud.openstack(["server", "show", "vm1", "-c", "fault", "-f", "value"])}`);
    const server = JSON.parse(out.slice(out.indexOf("{")));
    const activeMs = Date.now() - started;
    expect(server.status).toBe("ACTIVE");
    serverId = server.id;
    fixedIp = server.addresses.private[0];
    expect(fixedIp).toMatch(/^10\.0\.0\.\d+$/);
    await expect.poll(consoleLog, { timeout: 120_000, interval: 1000 }).toContain("nimbus-guest: boot complete");
    const text = await consoleLog();
    expect(text).toContain(`nimbus-guest: eth0 lease ${fixedIp}/24`);
    console.log(`create → ACTIVE ${activeMs} ms; create → guest booted ${Date.now() - started} ms`);
  }, 300_000);

  it("stops, starts and reboots it", async () => {
    await cloud.openstack(["server", "stop", "vm1"]);
    await waitStatus("SHUTOFF");
    expect(await showField("OS-EXT-STS:power_state")).toBe("4"); // SHUTDOWN
    await cloud.openstack(["server", "start", "vm1"]);
    await waitStatus("ACTIVE");
    // A soft reboot is an ACPI request: wait until the guest is up again and can hear it.
    const boots = async () => (await consoleLog()).split("nimbus-guest: boot complete").length - 1;
    await expect.poll(boots, { timeout: 120_000, interval: 1000 }).toBe(2);
    await cloud.openstack(["server", "reboot", "vm1"]);
    await waitStatus("ACTIVE");
    expect(await showField("OS-EXT-STS:task_state")).toBe("None");
  }, 300_000);

  it("deletes it and leaves nothing behind", async () => {
    const portId = (await cloud.openstack(["port", "list", "--server", "vm1", "-f", "value", "-c", "ID"])).trim();
    expect(portId).toMatch(/^[0-9a-f-]{36}$/);
    await cloud.openstack(["server", "delete", "--wait", "vm1"]);
    expect(await cloud.openstack(["server", "list", "-f", "value"])).not.toContain(serverId);
    const { stdout: domains } = await run("virsh", ["-c", "qemu:///system", "list", "--all", "--name"]);
    expect(domains).not.toContain(`${cloud.namePrefix}${serverId}`);
    expect(existsSync(join(cloud.hostStateDir, "instances", serverId))).toBe(false);
    const { stdout: links } = await run("ip", ["-o", "link", "show"]);
    expect(links).not.toContain(tapName(portId));
    const dhcpDir = join(cloud.hostStateDir, "dhcp");
    const leftovers = existsSync(dhcpDir) ? readdirSync(dhcpDir).flatMap((n) => { const f = join(dhcpDir, n, "hosts"); return existsSync(f) ? [readFileSync(f, "utf8")] : []; }) : [];
    expect(leftovers.join("")).not.toContain(fixedIp);
    expect(await cloud.openstack(["port", "list", "--device-owner", "compute:nova", "-f", "value"])).toBe("");
  }, 300_000);

  it("answers bad input in Nova's format and creates nothing", async () => {
    await expect(cloud.openstack(["server", "create", "--flavor", "m1.tiny", "--image", "no-such-image", "--network", "private", "bad"])).rejects.toThrow(/No Image found|Could not find resource|No image/i);
    await expect(cloud.openstack(["server", "create", "--flavor", "m1.tiny", "--image", "nimbus-guest", "--network", "no-such-net", "bad"])).rejects.toThrow(/No Network found|Could not find/i);
    expect(await cloud.openstack(["server", "list", "-f", "value"])).not.toContain("bad");
  }, 120_000);
});
