import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGuestCloud, type AllInOne } from "./all-in-one.js";

const run = promisify(execFile);

let cloud: AllInOne;
beforeAll(async () => {
  cloud = await startGuestCloud();
}, 180_000);
afterAll(async () => { await cloud?.stop(); });

const consoleLog = () => cloud.openstack(["console", "log", "show", "cd-vm"]);

describe("config drive through the real openstack CLI", () => {
  it("boots a guest that reads its hostname, key and user data from the config drive; delete removes the ISO", async () => {
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "e2e@nimbus", "-f", join(cloud.stateDir, "k")]);
    const publicKey = readFileSync(join(cloud.stateDir, "k.pub"), "utf8").trim();
    await cloud.openstack(["keypair", "create", "--public-key", join(cloud.stateDir, "k.pub"), "k"]);
    const userData = "#!/bin/sh\necho hello from user data\n";
    writeFileSync(join(cloud.stateDir, "user-data"), userData);

    const started = Date.now();
    const out = await cloud.openstack(["server", "create", "--flavor", "m1.tiny", "--image", "nimbus-guest", "--network", "private",
      "--config-drive", "True", "--key-name", "k", "--user-data", join(cloud.stateDir, "user-data"), "cd-vm", "--wait", "-f", "json"]);
    if (!out.includes("{")) throw new Error(`server create printed no server: ${await cloud.openstack(["server", "show", "cd-vm", "-c", "fault", "-f", "value"])}`);
    const server = JSON.parse(out.slice(out.indexOf("{")));
    expect(server.status).toBe("ACTIVE");
    expect(server.config_drive).toBe("True");
    const iso = join(cloud.hostStateDir, "instances", server.id, "disk.config");
    expect(existsSync(iso)).toBe(true);
    const { stdout: xml } = await run("virsh", ["-c", "qemu:///system", "dumpxml", `${cloud.namePrefix}${server.id}`]);
    expect(xml).toContain("device='cdrom'");
    expect(xml).toContain(iso);

    await expect.poll(consoleLog, { timeout: 120_000, interval: 500 }).toContain("nimbus-guest: hostname=cd-vm");
    const hostnameMs = Date.now() - started;
    await expect.poll(consoleLog, { timeout: 120_000, interval: 1000 }).toContain("nimbus-guest: boot complete");
    const text = await consoleLog();
    expect(text).toContain(`nimbus-guest: config-drive /dev/sr0 uuid=${server.id}`);
    expect(text).toContain(`nimbus-guest: ssh-key=${publicKey}`);
    expect(text).toContain(`nimbus-guest: user-data sha256=${createHash("sha256").update(userData).digest("hex")}`);
    expect(text).toContain("nimbus-guest: hostname cd-vm"); // the guest took the name
    expect(text).toMatch(/nimbus-guest: eth0 lease 10\.0\.0\.\d+\/24/);
    // The metadata service (169.254.169.254 through the host) tells the same guest the same name.
    await expect.poll(consoleLog, { timeout: 60_000, interval: 1000 }).toContain("nimbus-guest: metadata-hostname=cd-vm");
    console.log(`create → hostname line on the console ${hostnameMs} ms; → metadata line ${Date.now() - started} ms`);
    const table = `nimbus_md_${cloud.namePrefix.replace(/[^A-Za-z0-9]/g, "_")}`;
    expect((await run("nft", ["list", "tables"])).stdout).toContain(table);

    await cloud.openstack(["server", "delete", "--wait", "cd-vm"]);
    expect(existsSync(iso)).toBe(false);
    expect(existsSync(join(cloud.hostStateDir, "instances", server.id))).toBe(false);
    expect((await run("nft", ["list", "tables"])).stdout).not.toContain(table); // no guest left to serve
  }, 300_000);

});
