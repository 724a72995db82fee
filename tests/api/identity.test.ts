import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeApi, type Api } from "./harness.js";

let api: Api;
beforeAll(async () => { api = await makeApi(); });
afterAll(() => api.cleanup());

describe("identity", () => {
  it("answers version discovery unauthenticated", async () => {
    const res = await api.request("/identity");
    expect(res.status).toBe(300);
    const body = await res.json();
    expect(body.versions.values[0].links[0].href).toBe("http://nimbus.test/identity/v3/");
  });

  it("issues a project token with roles and a full catalog", async () => {
    const res = await api.request("/identity/v3/auth/tokens", {
      method: "POST",
      json: { auth: { identity: { methods: ["password"], password: { user: { name: "alice", domain: { name: "Default" }, password: "alicepw" } } }, scope: { project: { name: "demo", domain: { name: "Default" } } } } },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("X-Subject-Token")).toBeTruthy();
    const { token } = await res.json();
    expect(token.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(token.roles.map((r: { name: string }) => r.name)).toEqual(["member", "reader"]); // implied roles too, as Keystone
    const types = token.catalog.map((s: { type: string }) => s.type);
    expect(types).toEqual(expect.arrayContaining(["identity", "compute", "image", "network"]));
    for (const svc of token.catalog) expect(svc.endpoints.map((e: { interface: string }) => e.interface).sort()).toEqual(["admin", "internal", "public"]);
  });

  it("rejects a wrong password with Keystone's error body", async () => {
    const res = await api.request("/identity/v3/auth/tokens", {
      method: "POST",
      json: { auth: { identity: { methods: ["password"], password: { user: { name: "alice", domain: { name: "Default" }, password: "nope" } } } } },
    });
    expect(res.status).toBe(401);
    expect((await res.json()).error.code).toBe(401);
  });

  it("rejects a malformed body with 400", async () => {
    const res = await api.request("/identity/v3/auth/tokens", { method: "POST", body: "{not json", headers: { "Content-Type": "application/json" } });
    expect(res.status).toBe(400);
    expect((await res.json()).error.title).toBe("Bad Request");
  });

  it("refuses to scope to a project the user has no role on", async () => {
    await expect(api.login("bob", "bobpw", "demo")).rejects.toThrow(/401/);
  });

  it("validates, then revokes a token", async () => {
    const token = await api.login("alice", "alicepw", "demo");
    const check = await api.request("/identity/v3/auth/tokens", { token, headers: { "X-Subject-Token": token } });
    expect(check.status).toBe(200);
    const del = await api.request("/identity/v3/auth/tokens", { method: "DELETE", token, headers: { "X-Subject-Token": token } });
    expect(del.status).toBe(204);
    const other = await api.login("alice", "alicepw", "demo");
    const after = await api.request("/identity/v3/auth/tokens", { token: other, headers: { "X-Subject-Token": token } });
    expect(after.status).toBe(404);
    expect((await api.request("/compute/v2.1/servers", { token })).status).toBe(401);
    expect((await api.request("/compute/v2.1/servers", { token: other })).status).toBe(200);
  });

  it("requires a valid token on every service", async () => {
    for (const path of ["/compute/v2.1/servers", "/image/v2/images", "/network/v2.0/networks"]) {
      expect((await api.request(path)).status).toBe(401);
      expect((await api.request(path, { token: "n1.bogus.token.here" })).status).toBe(401);
    }
  });
});
