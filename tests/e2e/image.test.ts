import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGuestCloud, type AllInOne } from "./all-in-one.js";

const run = promisify(execFile);

let cloud: AllInOne;
let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "nimbus-e2e-image-"));
  cloud = await startGuestCloud();
}, 180_000);
afterAll(async () => {
  await cloud?.stop();
  await rm(dir, { recursive: true, force: true });
});
const json = async (args: string[], as = "nimbus") => JSON.parse(await cloud.openstack([...args, "-f", "json"], as));
const consoleOf = (server: string) => cloud.openstack(["console", "log", "show", server]);
/** A server from `image`, once its guest has finished booting (its console says so). */
async function boot(name: string, image: string) {
  await cloud.openstack(["server", "create", "--flavor", "m1.tiny", "--image", image, "--network", "private", name, "--wait"]);
  await expect.poll(() => consoleOf(name), { timeout: 120_000, interval: 1000 }).toContain("nimbus-guest: boot complete");
}

describe("images with the real openstack CLI", () => {
  it("creates with properties, shares with a project that accepts, saves identical bytes, deletes", async () => {
    const bytes = randomBytes(2_000_000);
    await writeFile(join(dir, "in.img"), bytes);
    const created = await json(["image", "create", "--file", join(dir, "in.img"), "--disk-format", "qcow2", "--container-format", "bare", "--property", "distro=debian", "e2e-img"]);
    expect(created.properties.distro).toBe("debian");
    expect(await json(["image", "show", "e2e-img"])).toMatchObject({ status: "active", size: bytes.length });
    await expect(cloud.openstack(["image", "set", "--public", "e2e-img"])).rejects.toThrow(/403|not authorized/);
    await cloud.openstack(["image", "set", "--shared", "e2e-img"]);
    const adminProject = (await cloud.openstack(["project", "show", "admin", "-f", "value", "-c", "id"], "nimbus-admin")).trim();
    await cloud.openstack(["image", "add", "project", "e2e-img", adminProject]);
    expect((await json(["image", "member", "list", "e2e-img"]))[0]).toMatchObject({ "Member ID": adminProject, Status: "pending" });
    await cloud.openstack(["image", "set", "--accept", created.id], "nimbus-admin");
    expect((await json(["image", "member", "list", "e2e-img"]))[0].Status).toBe("accepted");
    await cloud.openstack(["image", "save", "--file", join(dir, "out.img"), "e2e-img"]);
    expect((await readFile(join(dir, "out.img"))).equals(bytes)).toBe(true);
    await cloud.openstack(["image", "delete", "e2e-img"]);
    expect(await cloud.openstack(["image", "list", "-f", "value", "-c", "Name"])).not.toContain("e2e-img");
  }, 120_000);

  it("snapshots a running server into a standalone qcow2 image that boots with the same disk", async () => {
    await boot("snapvm", "nimbus-guest");
    // The guest writes a random marker on its root disk at each boot (scripts/guest/init).
    const marker = /nimbus-guest: root-disk wrote (nimbus-root:[0-9a-f-]{36})/.exec(await consoleOf("snapvm"))?.[1];
    expect(marker).toBeDefined();
    const snap = await json(["server", "image", "create", "--name", "e2e-snap", "--wait", "snapvm"]);
    expect(snap).toMatchObject({ status: "active", disk_format: "qcow2", visibility: "private" });
    expect(snap.properties).toMatchObject({ image_type: "snapshot" });
    expect((await cloud.openstack(["server", "show", "snapvm", "-f", "value", "-c", "OS-EXT-STS:task_state"])).trim()).toBe("None");
    await cloud.openstack(["image", "save", "--file", join(dir, "snap.qcow2"), "e2e-snap"]);
    const info = JSON.parse((await run("qemu-img", ["info", "--output=json", join(dir, "snap.qcow2")])).stdout);
    expect(info.format).toBe("qcow2");
    expect(info["backing-filename"]).toBeUndefined();
    await boot("fromsnap", "e2e-snap");
    expect(await consoleOf("fromsnap")).toContain(`nimbus-guest: root-disk found ${marker!}`);
    await cloud.openstack(["server", "delete", "--wait", "snapvm", "fromsnap"]);
  }, 400_000);
});
