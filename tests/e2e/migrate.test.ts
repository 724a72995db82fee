import { execFile, spawn, type ChildProcess } from "node:child_process";
import { access, readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGuestCloud, type AllInOne } from "./all-in-one.js";

/**
 * Cold migration between two host daemons on this machine (one edge, one broker): the guest's
 * root-disk marker must survive the trip, which goes through the edge's blob store.
 */
const run = promisify(execFile);
let cloud: AllInOne;
let second: ChildProcess | undefined;
let secondLog = "";
let hostA = "", hostB = "";

const json = async (args: string[], as = "nimbus") => JSON.parse(await cloud.openstack([...args, "-f", "json"], as));
const consoleOf = (server: string) => cloud.openstack(["console", "log", "show", server]);
const hostOf = async (id: string) => (await json(["server", "show", id], "nimbus-admin"))["OS-EXT-SRV-ATTR:host"] as string;

/** A second host daemon: its own id, state dir and name prefix, no metadata service (the first has it). */
async function startSecondHost(): Promise<string> {
  const port = new URL(cloud.apiUrl).port;
  const id = `e2e-${port}-b`;
  const token = (await cloud.openstack(["token", "issue", "-f", "value", "-c", "id"], "nimbus-admin")).trim();
  const res = await fetch(`${cloud.apiUrl}/internal/hosts`, { method: "POST", headers: { "X-Auth-Token": token, "Content-Type": "application/json" }, body: JSON.stringify({ host: { id } }) });
  expect(res.status).toBe(201);
  const { host } = await res.json() as { host: { id: string; secret: string } };
  const mqttUrl = /MQTT broker:\s+(\S+)/.exec(cloud.output())![1];
  second = spawn(process.execPath, ["--import", "tsx", "host-daemon/src/main.ts"], {
    env: {
      ...process.env, NIMBUS_HOST_ID: id, NIMBUS_HOST_SECRET: host.secret, NIMBUS_MQTT_URL: mqttUrl, NIMBUS_MQTT_PROTOCOL: "4",
      NIMBUS_API_URL: cloud.apiUrl, NIMBUS_HOST_STATE_DIR: join(cloud.stateDir, "host-b"), NIMBUS_NAME_PREFIX: `nimbus-e2m${port}-`,
      NIMBUS_METADATA: "0", NIMBUS_HEARTBEAT_SECONDS: "2", NIMBUS_STOP_GRACE_SECONDS: "5",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  second.stdout!.on("data", (d: Buffer) => { secondLog += d.toString(); });
  second.stderr!.on("data", (d: Buffer) => { secondLog += d.toString(); });
  await expect.poll(() => secondLog, { timeout: 60_000, interval: 500 }).toMatch(/registered: \d+ vCPUs/);
  return id;
}

beforeAll(async () => {
  cloud = await startGuestCloud({ NIMBUS_STOP_GRACE_SECONDS: "5" });
  hostA = `e2e-${new URL(cloud.apiUrl).port}`;
}, 180_000);
afterAll(async () => {
  // Leaves no guest behind when the test failed half-way (libvirtd is shared with other runs).
  for (const name of ["mig", "resc"]) if (cloud) await cloud.openstack(["server", "delete", "--wait", name]).catch(() => undefined);
  if (process.env.NIMBUS_E2E_LOG_DIR) {
    const { writeFile } = await import("node:fs/promises");
    await writeFile(join(process.env.NIMBUS_E2E_LOG_DIR, "cloud.log"), cloud?.output() ?? "");
    await writeFile(join(process.env.NIMBUS_E2E_LOG_DIR, "host-b.log"), secondLog);
  }
  if (second && second.exitCode === null) {
    const exited = new Promise((r) => second!.once("exit", r));
    second.kill("SIGTERM");
    await exited;
  }
  await cloud?.stop();
});

describe("cold migration between two real hosts, and rescue", () => {
  it("moves a running guest with its root disk to the other host, confirms, then migrates back and reverts", async () => {
    // Booted while only the first host exists, so it lands there; no NIC: both hosts share this machine's bridges.
    // (`--nic none` needs compute 2.37 in the CLI, so this one create goes over plain HTTP.)
    const token = (await cloud.openstack(["token", "issue", "-f", "value", "-c", "id"])).trim();
    const image = (await json(["image", "show", "nimbus-guest"])).id as string;
    const created = await fetch(`${cloud.apiUrl}/compute/v2.1/servers`, {
      method: "POST", headers: { "X-Auth-Token": token, "Content-Type": "application/json" },
      body: JSON.stringify({ server: { name: "mig", imageRef: image, flavorRef: "1", networks: "none" } }),
    });
    expect(created.status).toBe(202);
    const id = ((await created.json()) as { server: { id: string } }).server.id;
    await expect.poll(async () => (await json(["server", "show", id])).status, { timeout: 120_000, interval: 1000 }).toBe("ACTIVE");
    await expect.poll(() => consoleOf("mig"), { timeout: 120_000, interval: 1000 }).toContain("nimbus-guest: boot complete");
    const marker = /nimbus-guest: root-disk wrote (nimbus-root:[0-9a-f-]{36})/.exec(await consoleOf("mig"))?.[1];
    expect(marker).toBeDefined();
    expect(await hostOf(id)).toBe(hostA);
    hostB = await startSecondHost();

    await cloud.openstack(["server", "migrate", "--wait", id], "nimbus-admin");
    expect(await json(["server", "show", id], "nimbus-admin")).toMatchObject({ status: "VERIFY_RESIZE", "OS-EXT-SRV-ATTR:host": hostB });
    // The guest booted on the second host from the disk the first one uploaded.
    await expect.poll(() => consoleOf("mig"), { timeout: 120_000, interval: 1000 }).toContain(`nimbus-guest: root-disk found ${marker!}`);
    await cloud.openstack(["server", "resize", "confirm", "mig"]);
    await expect.poll(async () => (await json(["server", "show", "mig"])).status, { timeout: 60_000, interval: 1000 }).toBe("ACTIVE");
    // The first host dropped its copy once confirmed.
    await expect.poll(async () => access(join(cloud.hostStateDir, "instances", id)).then(() => "kept", () => "gone"), { timeout: 30_000, interval: 500 }).toBe("gone");

    // Back towards the first host, then revert: the guest runs on the second host again, from its kept disk.
    const wrote = /nimbus-guest: root-disk wrote (nimbus-root:[0-9a-f-]{36})/g;
    const written = [...(await consoleOf("mig")).matchAll(wrote)].map((m) => m[1]);
    await cloud.openstack(["server", "migrate", "--wait", id], "nimbus-admin");
    expect(await hostOf(id)).toBe(hostA);
    await cloud.openstack(["server", "resize", "revert", "mig"]);
    await expect.poll(async () => (await json(["server", "show", "mig"])).status, { timeout: 120_000, interval: 1000 }).toBe("ACTIVE");
    expect(await hostOf(id)).toBe(hostB);
    await expect.poll(() => consoleOf("mig"), { timeout: 120_000, interval: 1000 }).toContain(`nimbus-guest: root-disk found ${written.at(-1)!}`);
    await cloud.openstack(["server", "delete", "--wait", "mig"]);
  }, 900_000);

  it("rescues a guest onto a fresh disk of its image with its own disk as vdb, then unrescues onto its own disk", async () => {
    await cloud.openstack(["server", "create", "--flavor", "m1.tiny", "--image", "nimbus-guest", "--network", "private", "resc", "--wait"]);
    const id = (await json(["server", "show", "resc"])).id as string;
    const booted = (n: number) => async () => ((await consoleOf("resc")).match(/nimbus-guest: boot complete/g) ?? []).length >= n;
    await expect.poll(booted(1), { timeout: 120_000, interval: 1000 }).toBe(true);
    const marker = /nimbus-guest: root-disk wrote (nimbus-root:[0-9a-f-]{36})/.exec(await consoleOf("resc"))![1];
    await cloud.openstack(["server", "rescue", "resc"]);
    await expect.poll(async () => (await json(["server", "show", "resc"])).status, { timeout: 120_000, interval: 1000 }).toBe("RESCUE");
    await expect.poll(booted(2), { timeout: 120_000, interval: 1000 }).toBe(true);
    // The rescue boot's vda is a fresh overlay of the image (no marker); the server's own disk is its vdb,
    // which the test guest stamps as if it were a volume (its first 64 bytes).
    const rescued = await consoleOf("resc");
    expect([...rescued.matchAll(/root-disk found (\S+)/g)].at(-1)![1]).toBe("nothing");
    await expect.poll(() => consoleOf("resc"), { timeout: 60_000, interval: 1000 }).toContain("nimbus-guest: vdb attached, wrote nimbus-marker:");
    await cloud.openstack(["server", "unrescue", "resc"]);
    await expect.poll(async () => (await json(["server", "show", "resc"])).status, { timeout: 120_000, interval: 1000 }).toBe("ACTIVE");
    const host = await hostOf(id);
    const [prefix, stateDir] = host === hostA ? [cloud.namePrefix, cloud.hostStateDir] : [`nimbus-e2m${new URL(cloud.apiUrl).port}-`, join(cloud.stateDir, "host-b")];
    const xml = (await run("virsh", ["-c", "qemu:///system", "dumpxml", `${prefix}${id}`])).stdout;
    expect(xml).toContain(`${stateDir}/instances/${id}/disk'`);
    expect(xml).not.toContain("disk.rescue");
    expect(xml).not.toContain("dev='vdb'");
    // The own disk: what the rescue guest wrote through vdb, and the root-disk marker of its first life.
    const raw = join(cloud.stateDir, "resc.raw");
    await run("qemu-img", ["convert", "-U", "-O", "raw", `${stateDir}/instances/${id}/disk`, raw]);
    const bytes = await readFile(raw);
    expect(bytes.subarray(0, 14).toString()).toBe("nimbus-marker:");
    expect(bytes.subarray(1024 * 512, 1024 * 512 + marker.length).toString()).toBe(marker);
    await cloud.openstack(["server", "delete", "--wait", "resc"]);
  }, 600_000);
});
