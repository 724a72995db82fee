import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guestConfig } from "../../shared/src/index.js";
import { makeApi, type Api } from "./harness.js";

let api: Api;
let alice: string;
let imageId: string;
let publicKey: string;

beforeAll(async () => {
  api = await makeApi();
  alice = await api.login("alice", "alicepw", "demo");
  imageId = await api.publicImage();
  await api.addHost();
  const dir = mkdtempSync(join(tmpdir(), "gc-"));
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "me@here", "-f", join(dir, "k")]);
  publicKey = readFileSync(join(dir, "k.pub"), "utf8").trim();
  const kp = await api.request("/compute/v2.1/os-keypairs", { method: "POST", token: alice, json: { keypair: { name: "k", public_key: publicKey } } });
  expect(kp.status).toBe(200);
});
afterAll(() => api.cleanup());

const create = (server: Record<string, unknown>) =>
  api.request("/compute/v2.1/servers", { method: "POST", token: alice, json: { server: { imageRef: imageId, flavorRef: "1", networks: [{ uuid: api.privateNet }], ...server } } });
const show = async (id: string) => (await (await api.request(`/compute/v2.1/servers/${id}`, { token: alice })).json()).server;
const commandFor = (id: string) => api.bus.sent.find((m) => m.type === "server.create" && (m.payload as { serverId: string }).serverId === id)!;

describe("guest configuration on server create", () => {
  it("carries config drive, key, user data and metadata to the host and shows config_drive", async () => {
    const userData = Buffer.from("#cloud-config\nhostname: x\n").toString("base64");
    const res = await create({ name: "My VM_1", config_drive: true, key_name: "k", user_data: userData, metadata: { role: "web" } });
    expect(res.status).toBe(202);
    const id = (await res.json()).server.id;
    const g = guestConfig.parse((commandFor(id).payload as { guestConfig: unknown }).guestConfig);
    expect(g).toMatchObject({
      configDrive: true, hostname: "my-vm-1", projectId: api.projects.demo, availabilityZone: "nova", flavorName: "m1.tiny",
      imageId, launchIndex: 0, meta: { role: "web" }, userData, publicKeys: [{ name: "k", type: "ssh", data: publicKey }],
    });
    expect((await show(id)).config_drive).toBe("True");
  });

  it("accepts Nova's string booleans and defaults to no config drive", async () => {
    const on = (await (await create({ name: "s1", config_drive: "True" })).json()).server.id;
    const off = (await (await create({ name: "s2" })).json()).server.id;
    expect((await show(on)).config_drive).toBe("True");
    expect((await show(off)).config_drive).toBe("");
    const g = (commandFor(off).payload as { guestConfig: { configDrive: boolean; userData: string | null; publicKeys: unknown[] } }).guestConfig;
    expect(g).toMatchObject({ configDrive: false, userData: null, publicKeys: [] });
  });

  it("numbers the instances of a multi-create by launch index", async () => {
    const before = api.bus.sent.length;
    expect((await create({ name: "many", min_count: 2, max_count: 2, networks: "none" })).status).toBe(202);
    const sent = api.bus.sent.slice(before).filter((m) => m.type === "server.create");
    expect(sent.map((m) => (m.payload as { guestConfig: { launchIndex: number } }).guestConfig.launchIndex)).toEqual([0, 1]);
  });

  it("rejects user data that is not base64 and bad config_drive values with badRequest", async () => {
    for (const user_data of ["not base64!", "abc", "=AAA"]) {
      const res = await create({ name: "bad", user_data });
      expect(res.status).toBe(400);
      expect((await res.json()).badRequest.message).toMatch(/user_data/);
    }
    const res = await create({ name: "bad", config_drive: "maybe" });
    expect(res.status).toBe(400);
    expect((await res.json()).badRequest.message).toMatch(/config_drive/);
    const list = (await (await api.request("/compute/v2.1/servers", { token: alice })).json()).servers;
    expect(list.map((s: { name: string }) => s.name)).not.toContain("bad");
  });
});
