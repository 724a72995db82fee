import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeApi, type Api } from "./harness.js";

/** System-scoped tokens: `"scope": {"system": {"all": true}}` and grants on the system. */
let api: Api;
let adminToken = "";
const roleIds: Record<string, string> = {};
const userIds: Record<string, string> = {};

const call = (method: string, path: string, json?: unknown, token = adminToken) => api.request(`/identity/v3${path}`, { method, token, json });
const body = async (res: Response) => res.json() as Promise<Record<string, any>>;
const systemAuth = (name: string, password: string, extra: Record<string, unknown> = {}) =>
  api.request("/identity/v3/auth/tokens", {
    method: "POST",
    json: { auth: { identity: { methods: ["password"], password: { user: { name, domain: { id: "default" }, password } } }, scope: { system: { all: true }, ...extra } } },
  });
const systemToken = async (name: string, password: string) => {
  const res = await systemAuth(name, password);
  expect(res.status).toBe(201);
  return res.headers.get("X-Subject-Token")!;
};

beforeAll(async () => {
  api = await makeApi();
  adminToken = await api.login("admin", "adminpw", "admin");
  for (const r of (await body(await call("GET", "/roles"))).roles) roleIds[r.name] = r.id;
  for (const u of (await body(await call("GET", "/users"))).users) userIds[u.name] = u.id;
  // As `openstack role add --system all --user admin admin`.
  expect((await call("PUT", `/system/users/${userIds.admin}/roles/${roleIds.admin}`)).status).toBe(204);
  expect((await call("HEAD", `/system/users/${userIds.admin}/roles/${roleIds.admin}`)).status).toBe(204);
  expect((await call("PUT", `/system/users/${userIds.rita}/roles/${roleIds.reader}`)).status).toBe(204);
});
afterAll(() => api.cleanup());

describe("system-scoped tokens", () => {
  it("issues a token with the system, the user's system roles and the catalog", async () => {
    const res = await systemAuth("admin", "adminpw");
    expect(res.status).toBe(201);
    const { token } = await body(res);
    expect(token.system).toEqual({ all: true });
    expect(token.project).toBeUndefined();
    expect(token.domain).toBeUndefined();
    expect(token.roles.map((r: any) => r.name)).toEqual(["admin", "member", "reader"]);
    expect(token.catalog.map((s: any) => s.type)).toEqual(expect.arrayContaining(["identity", "compute", "image", "network"]));
    const subject = res.headers.get("X-Subject-Token")!;
    const validated = await body(await api.request("/identity/v3/auth/tokens", { token: subject, headers: { "X-Subject-Token": subject } }));
    expect(validated.token.system).toEqual({ all: true });
    expect((await call("GET", "/auth/catalog", undefined, subject)).status).toBe(200);
  });

  it("fails with 401 for a user without a system role", async () => {
    const res = await systemAuth("alice", "alicepw");
    expect(res.status).toBe(401);
    expect((await body(res)).error.code).toBe(401);
  });

  it("refuses a system scope together with a project scope", async () => {
    expect((await systemAuth("admin", "adminpw", { project: { id: api.projects.admin } })).status).toBe(400);
  });

  it("lets a system admin use the cloud-wide admin APIs", async () => {
    const token = await systemToken("admin", "adminpw");
    expect((await call("GET", "/users", undefined, token)).status).toBe(200);
    const created = await call("POST", "/projects", { project: { name: "from-system", domain_id: "default" } }, token);
    expect(created.status).toBe(201);
    expect((await call("PUT", `/system/users/${userIds.bob}/roles/${roleIds.reader}`, undefined, token)).status).toBe(204);
  });

  it("keeps a system reader out of the admin APIs", async () => {
    const token = await systemToken("rita", "ritapw");
    expect((await call("GET", "/users", undefined, token)).status).toBe(403);
    expect((await call("POST", "/projects", { project: { name: "nope" } }, token)).status).toBe(403);
  });

  it("answers 403, not 500, on project-only APIs without a project", async () => {
    for (const name of ["admin", "rita"]) {
      const token = await systemToken(name, name === "admin" ? "adminpw" : "ritapw");
      for (const [method, path, json] of [
        ["GET", "/compute/v2.1/servers"], ["GET", "/network/v2.0/networks"], ["GET", "/network/v2.0/ports"], ["GET", "/image/v2/images"],
        ["POST", "/network/v2.0/networks", { network: { name: "n" } }],
        ["POST", "/compute/v2.1/servers", { server: { name: "s", imageRef: "x", flavorRef: "1" } }],
      ] as Array<[string, string, unknown?]>) {
        expect([method, path, name, (await api.request(path, { method, token, json })).status]).toEqual([method, path, name, 403]);
      }
    }
  });

  it("leaves project-scoped non-admins as they were", async () => {
    const token = await api.login("alice", "alicepw", "demo");
    expect((await call("GET", "/users", undefined, token)).status).toBe(403);
    expect((await api.request("/compute/v2.1/servers", { token })).status).toBe(200);
  });

  it("revokes system tokens when the system grant is removed", async () => {
    const token = await systemToken("rita", "ritapw");
    expect((await call("DELETE", `/system/users/${userIds.rita}/roles/${roleIds.reader}`)).status).toBe(204);
    expect((await api.request("/identity/v3/auth/tokens", { token: adminToken, headers: { "X-Subject-Token": token } })).status).toBe(404);
    expect((await systemAuth("rita", "ritapw")).status).toBe(401);
  });
});
