import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeApi, type Api } from "./harness.js";

let api: Api;
let alice: string, bob: string, admin: string;
let serverId: string;

beforeAll(async () => {
  api = await makeApi();
  [alice, bob, admin] = await Promise.all([api.login("alice", "alicepw", "demo"), api.login("bob", "bobpw", "other"), api.login("admin", "adminpw", "admin")]);
  const imageId = await api.publicImage();
  await api.addHost();
  const res = await api.request("/compute/v2.1/servers", { method: "POST", token: alice, json: { server: { name: "meta", imageRef: imageId, flavorRef: "1", networks: "none", metadata: { role: "web" } } } });
  serverId = (await res.json()).server.id;
});
afterAll(() => api.cleanup());

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const meta = async (method: string, path = "", json?: unknown, token = alice): Promise<{ status: number; body: Json }> => {
  const res = await api.request(`/compute/v2.1/servers/${serverId}/metadata${path}`, { method, token, json });
  return { status: res.status, body: res.status === 204 ? {} : await res.json() };
};

describe("server metadata (Nova's /servers/{id}/metadata)", () => {
  it("lists, merges, replaces, and reads, sets and deletes single items", async () => {
    expect((await meta("GET")).body).toEqual({ metadata: { role: "web" } });
    expect((await meta("POST", "", { metadata: { color: "blue" } })).body).toEqual({ metadata: { role: "web", color: "blue" } });
    expect((await meta("PUT", "", { metadata: { tier: "1" } })).body).toEqual({ metadata: { tier: "1" } });
    expect((await meta("PUT", "/zone", { meta: { zone: "a" } })).body).toEqual({ meta: { zone: "a" } });
    expect((await meta("GET", "/zone")).body).toEqual({ meta: { zone: "a" } });
    expect((await meta("DELETE", "/zone")).status).toBe(204);
    expect((await meta("GET")).body).toEqual({ metadata: { tier: "1" } });
    const server = (await (await api.request(`/compute/v2.1/servers/${serverId}`, { token: alice })).json()).server;
    expect(server.metadata).toEqual({ tier: "1" });
  });

  it("answers Nova's errors and keeps other projects out", async () => {
    const missing = await meta("GET", "/nope");
    expect(missing.status).toBe(404);
    expect(missing.body.itemNotFound.message).toBe("Metadata item was not found");
    expect((await meta("PUT", "/a", { meta: { b: "1" } })).body.badRequest.message).toBe("Request body and URI mismatch");
    expect((await meta("PUT", "/a", { meta: { a: "1", b: "2" } })).status).toBe(400);
    expect((await meta("POST", "", { metadata: { "": "x" } })).status).toBe(400);
    expect((await meta("POST", "", { metadata: { k: "x".repeat(256) } })).status).toBe(400);
    expect((await meta("GET", "", undefined, bob)).status).toBe(404);
    expect((await meta("POST", "", { metadata: { x: "1" } }, bob)).status).toBe(404);
    expect((await meta("GET", "", undefined, admin)).status).toBe(200);
  });

  it("refuses changes to a locked server and beyond the metadata_items quota", async () => {
    await api.request(`/compute/v2.1/servers/${serverId}/action`, { method: "POST", token: admin, json: { lock: null } });
    expect((await meta("POST", "", { metadata: { x: "1" } })).status).toBe(409);
    await api.request(`/compute/v2.1/servers/${serverId}/action`, { method: "POST", token: admin, json: { unlock: null } });
    const many = Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`k${i}`, "v"]));
    const over = await meta("PUT", "", { metadata: many });
    expect(over.status).toBe(403);
    expect((await meta("GET")).body.metadata).toEqual({ tier: "1" });
  });
});
