import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGuestCloud, type AllInOne } from "./all-in-one.js";

const run = promisify(execFile);

let cloud: AllInOne;
let token = "";
beforeAll(async () => {
  cloud = await startGuestCloud();
  const { demo } = JSON.parse(readFileSync(join(cloud.stateDir, "keys", "passwords.json"), "utf8"));
  const res = await fetch(`${cloud.apiUrl}/identity/v3/auth/tokens`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ auth: { identity: { methods: ["password"], password: { user: { name: "demo", domain: { name: "Default" }, password: demo } } }, scope: { project: { name: "demo", domain: { name: "Default" } } } } }),
  });
  token = res.headers.get("X-Subject-Token")!;
}, 180_000);
afterAll(async () => { await cloud?.stop(); });

const api = async (path: string, init: RequestInit = {}) =>
  fetch(`${cloud.apiUrl}/compute/v2.1${path}`, { ...init, headers: { "X-Auth-Token": token, "Content-Type": "application/json", ...init.headers } });
const server = async (id: string) => (await (await api(`/servers/${id}`)).json()).server;

describe("a host daemon killed in the middle of a build", () => {
  it("ends ACTIVE or ERROR after it restarts, with nothing orphaned", async () => {
    const image = (await (await fetch(`${cloud.apiUrl}/image/v2/images?name=nimbus-guest`, { headers: { "X-Auth-Token": token } })).json()).images[0];
    const res = await api("/servers", { method: "POST", body: JSON.stringify({ server: { name: "crashy", imageRef: image.id, flavorRef: "1" } }) });
    expect(res.status).toBe(202);
    const id = (await res.json()).server.id;
    // The host's first progress report is the moment it is mid-build.
    await expect.poll(async () => (await server(id))["OS-EXT-STS:task_state"], { timeout: 60_000, interval: 50 }).not.toBe("scheduling");
    const killedDuring = (await server(id))["OS-EXT-STS:task_state"];
    const { stdout } = await run("pgrep", ["-P", String(cloud.proc.pid), "-f", "host-daemon/src/main.ts"]);
    process.kill(Number(stdout.trim().split("\n")[0]), "SIGKILL");
    await cloud.waitForLog(/restarting it/);

    await expect.poll(async () => (await server(id)).status, { timeout: 120_000, interval: 250 }).toMatch(/^(ACTIVE|ERROR)$/);
    const final = await server(id);
    console.log(`killed during ${killedDuring}; ended ${final.status}`);
    expect(final["OS-EXT-STS:task_state"]).toBeNull();
    const domain = `${cloud.namePrefix}${id}`;
    const domains = async () => (await run("virsh", ["-c", "qemu:///system", "list", "--all", "--name"])).stdout.split("\n");
    expect((await domains()).filter((d) => d === domain)).toHaveLength(final.status === "ACTIVE" ? 1 : 0);

    expect((await api(`/servers/${id}`, { method: "DELETE" })).status).toBe(204);
    await expect.poll(async () => (await api(`/servers/${id}`)).status, { timeout: 60_000, interval: 250 }).toBe(404);
    expect(await domains()).not.toContain(domain);
    expect(existsSync(join(cloud.hostStateDir, "instances", id))).toBe(false);
  }, 300_000);
});
