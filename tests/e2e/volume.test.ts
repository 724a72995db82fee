import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGuestCloud, type AllInOne } from "./all-in-one.js";

/**
 * Block storage end to end with the real `openstack` CLI: a volume made in the host's pool is
 * hot-plugged into a real qemu guest, which sees it as /dev/vdb and writes a marker on it (the
 * guest's init does that for a blank disk and reports it on the serial console); after a live
 * detach and a re-attach to a second server, that guest finds the marker; extended in use, the
 * volume grows under that guest, which sees the new size live, also after the host daemon restarted
 * under it (the guest and its disk run on untouched).
 */
const run = promisify(execFile);

let cloud: AllInOne;
beforeAll(async () => {
  cloud = await startGuestCloud({ NIMBUS_PRIVATE_CIDR: "10.78.0.0/24", NIMBUS_PUBLIC_CIDR: "172.24.78.0/24" });
}, 180_000);
afterAll(async () => { await cloud?.stop(); });

const field = async (kind: "server" | "volume", name: string, f: string) => (await cloud.openstack([kind, "show", name, "-f", "value", "-c", f])).trim();
const consoleOf = (server: string) => cloud.openstack(["console", "log", "show", server]);
const waitConsole = (server: string, text: string) => expect.poll(() => consoleOf(server), { timeout: 120_000, interval: 1000 }).toContain(text);
const waitVolume = (status: string) => expect.poll(() => field("volume", "data", "status"), { timeout: 60_000, interval: 500 }).toBe(status);
const pool = () => join(cloud.hostStateDir, "volumes");

async function bootServer(name: string) {
  const out = await cloud.openstack(["server", "create", "--flavor", "m1.tiny", "--image", "nimbus-guest", "--network", "private", name, "--wait", "-f", "value", "-c", "status"]);
  expect(out.trim().split("\n").at(-1)).toBe("ACTIVE"); // --wait prints its progress first
  await waitConsole(name, "nimbus-guest: boot complete");
}

describe("volumes with a real guest", () => {
  it("creates a volume as a qcow2 file in the host's pool", async () => {
    const id = (await cloud.openstack(["volume", "create", "--size", "1", "data", "-f", "value", "-c", "id"])).trim();
    await waitVolume("available");
    expect(readdirSync(pool())).toContain(`volume-${id}.qcow2`);
  }, 60_000);

  it("hot-plugs it into a running guest as /dev/vdb, which writes a marker; detaches live", async () => {
    await bootServer("vm1");
    const attached = await cloud.openstack(["server", "add", "volume", "vm1", "data", "-f", "json"]);
    expect(JSON.parse(attached.slice(attached.indexOf("{")))).toMatchObject({ Device: "/dev/vdb" });
    expect(await field("volume", "data", "status")).toBe("in-use");
    await waitConsole("vm1", "nimbus-guest: vdb attached, wrote nimbus-marker:");
    await cloud.openstack(["server", "remove", "volume", "vm1", "data"]);
    expect(await field("volume", "data", "status")).toBe("available");
    await waitConsole("vm1", "nimbus-guest: vdb detached");
  }, 300_000);

  it("shows the marker to a second server it is attached to next", async () => {
    await bootServer("vm2");
    await cloud.openstack(["server", "add", "volume", "vm2", "data"]);
    await waitConsole("vm2", "nimbus-guest: vdb attached, found nimbus-marker:");
    expect(await consoleOf("vm2")).not.toContain("vdb attached, wrote");
    // A volume in use cannot be deleted.
    await expect(cloud.openstack(["volume", "delete", "data"])).rejects.toThrow(/status must be available|attached/i);
  }, 300_000);

  it("grows live under the guest when extended in use at microversion 3.42", async () => {
    await waitConsole("vm2", "nimbus-guest: vdb size 2097152 sectors"); // 1 GiB
    await cloud.openstack(["--os-volume-api-version", "3.42", "volume", "set", "--size", "2", "data"]);
    await waitVolume("in-use");
    expect(await field("volume", "data", "size")).toBe("2");
    await waitConsole("vm2", "nimbus-guest: vdb size 4194304 sectors");
  }, 180_000);

  it("stays attached and live in its guest across a host daemon restart", async () => {
    const domain = `${cloud.namePrefix}${await field("server", "vm2", "id")}`;
    const virsh = async (...args: string[]) => (await run("virsh", ["-c", "qemu:///system", ...args])).stdout.trim();
    const domid = await virsh("domid", domain);
    const { stdout } = await run("pgrep", ["-P", String(cloud.proc.pid), "-f", "host-daemon/src/main.ts"]);
    process.kill(Number(stdout.trim().split("\n")[0]), "SIGKILL");
    await cloud.waitForLog(/restarting it[\s\S]*connected to /, 120_000);
    // The restarted daemon reported its disks; a new extend goes through it to the same running guest.
    await cloud.openstack(["--os-volume-api-version", "3.42", "volume", "set", "--size", "3", "data"]);
    await waitVolume("in-use");
    await waitConsole("vm2", "nimbus-guest: vdb size 6291456 sectors");
    expect(await virsh("domid", domain)).toBe(domid); // the guest was never restarted
    const shown = JSON.parse(await cloud.openstack(["volume", "show", "data", "-f", "json"]));
    expect(shown).toMatchObject({ size: 3, status: "in-use" });
    expect(shown.attachments).toEqual([expect.objectContaining({ server_id: await field("server", "vm2", "id"), device: "/dev/vdb" })]);
  }, 240_000);

  it("frees the volume with its server, then deletes it and its file", async () => {
    const id = await field("volume", "data", "id");
    await cloud.openstack(["server", "delete", "--wait", "vm1", "vm2"]);
    await waitVolume("available");
    await cloud.openstack(["volume", "delete", "data"]);
    await expect.poll(async () => (await cloud.openstack(["volume", "list", "-f", "value", "-c", "ID"])).includes(id), { timeout: 60_000, interval: 500 }).toBe(false);
    expect(readdirSync(pool())).not.toContain(`volume-${id}.qcow2`);
  }, 300_000);
});

describe("a server booted from a volume", () => {
  // The guest's init reports the marker a previous life left on its root disk, then writes its own.
  const bootFromVolume = async (name: string) => {
    const out = await cloud.openstack(["server", "create", "--flavor", "m1.tiny", "--volume", "root", "--network", "private", name, "--wait", "-f", "value", "-c", "status"]);
    expect(out.trim().split("\n").at(-1)).toBe("ACTIVE");
    await waitConsole(name, "nimbus-guest: boot complete");
  };
  const rootStatus = () => field("volume", "root", "status");

  it("keeps its data after the server is deleted and a new one boots from the same volume", async () => {
    await cloud.openstack(["volume", "create", "--image", "nimbus-guest", "--size", "1", "root"]);
    await expect.poll(rootStatus, { timeout: 60_000, interval: 500 }).toBe("available");
    expect(await field("volume", "root", "bootable")).toBe("true");

    await bootFromVolume("bfv1");
    const first = await consoleOf("bfv1");
    expect(first).toContain("nimbus-guest: root-disk found nothing");
    const marker = /nimbus-guest: root-disk wrote (nimbus-root:[0-9a-f-]{36})/.exec(first)?.[1];
    expect(marker).toBeDefined();
    expect(await rootStatus()).toBe("in-use");
    // `--volume` maps it with delete_on_termination false: the volume outlives its server.
    await cloud.openstack(["server", "delete", "--wait", "bfv1"]);
    await expect.poll(rootStatus, { timeout: 60_000, interval: 500 }).toBe("available");

    await bootFromVolume("bfv2");
    expect(await consoleOf("bfv2")).toContain(`nimbus-guest: root-disk found ${marker!}`);
    // A force snapshot of the volume in use: the host pauses the guest around the copy, then resumes it.
    await cloud.openstack(["volume", "snapshot", "create", "--volume", "root", "--force", "rootsnap"]);
    await expect.poll(() => cloud.openstack(["volume", "snapshot", "show", "rootsnap", "-f", "value", "-c", "status"]).then((s) => s.trim()), { timeout: 60_000, interval: 500 }).toBe("available");
    expect(await field("server", "bfv2", "status")).toBe("ACTIVE");
    expect((await run("virsh", ["-c", "qemu:///system", "domstate", `${cloud.namePrefix}${await field("server", "bfv2", "id")}`])).stdout.trim()).toBe("running");
    await cloud.openstack(["volume", "snapshot", "delete", "rootsnap"]);
    await expect.poll(async () => (await cloud.openstack(["volume", "snapshot", "list", "-f", "value", "-c", "Name"])).includes("rootsnap"), { timeout: 60_000, interval: 500 }).toBe(false);
    await cloud.openstack(["server", "delete", "--wait", "bfv2"]);
    await expect.poll(rootStatus, { timeout: 60_000, interval: 500 }).toBe("available");
    await cloud.openstack(["volume", "delete", "root"]);
  }, 240_000);
});
