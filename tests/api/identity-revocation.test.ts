import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RevocationIndex, RevocationList, type RevocableClaims } from "../../edge/src/lib/revocations.js";
import { makeApi, type Api } from "./harness.js";

/** Changes that must end a user's existing tokens, on this instance at once and on others within the refresh bound. */
let api: Api;
let adminToken = "";
const roleIds: Record<string, string> = {};

const call = (method: string, path: string, json?: unknown, token = adminToken) => api.request(`/identity/v3${path}`, { method, token, json });
const body = async (res: Response) => res.json() as Promise<Record<string, any>>;
const servers = async (token: string) => (await api.request("/compute/v2.1/servers", { token })).status;

/** A fresh user with `role` on a fresh project, and a token scoped to it. */
async function member(name: string, role = "member") {
  const project = (await body(await call("POST", "/projects", { project: { name: `${name}-p` } }))).project;
  const user = (await body(await call("POST", "/users", { user: { name, password: `${name}pw` } }))).user;
  expect((await call("PUT", `/projects/${project.id}/users/${user.id}/roles/${roleIds[role]}`)).status).toBe(204);
  return { project, user, token: await api.login(name, `${name}pw`, `${name}-p`) };
}

beforeAll(async () => {
  api = await makeApi();
  adminToken = await api.login("admin", "adminpw", "admin");
  for (const r of (await body(await call("GET", "/roles"))).roles) roleIds[r.name] = r.id;
});
afterAll(() => api.cleanup());

describe("revocation on identity changes", () => {
  it("a user changing their own password ends their old tokens; the new password works", async () => {
    const { user, token } = await member("pat");
    expect(await servers(token)).toBe(200);
    const wrong = await call("POST", `/users/${user.id}/password`, { user: { password: "newpw", original_password: "bad" } }, token);
    expect(wrong.status).toBe(401);
    expect((await body(wrong)).error.code).toBe(401);
    expect(await servers(token)).toBe(200);

    expect((await call("POST", `/users/${user.id}/password`, { user: { password: "newpw", original_password: "patpw" } }, token)).status).toBe(204);
    expect(await servers(token)).toBe(401);
    expect((await api.request("/identity/v3/auth/tokens", { token: adminToken, headers: { "X-Subject-Token": token } })).status).toBe(404);
    await expect(api.login("pat", "patpw", "pat-p")).rejects.toThrow(/401/);
    expect(await servers(await api.login("pat", "newpw", "pat-p"))).toBe(200);
    expect((await call("POST", `/users/${user.id}/password`, { user: { password: "x" } })).status).toBe(400);
  });

  it("removing a role assignment ends the user's tokens on that project, not elsewhere", async () => {
    const { project, user, token } = await member("rem");
    const other = (await body(await call("POST", "/projects", { project: { name: "rem-other" } }))).project;
    await call("PUT", `/projects/${other.id}/users/${user.id}/roles/${roleIds.member}`);
    const otherToken = await api.login("rem", "rempw", "rem-other");
    expect((await call("DELETE", `/projects/${project.id}/users/${user.id}/roles/${roleIds.member}`)).status).toBe(204);
    expect(await servers(token)).toBe(401);
    expect(await servers(otherToken)).toBe(200);
    await expect(api.login("rem", "rempw", "rem-p")).rejects.toThrow(/401/);
  });

  it("disabling or deleting a user ends their tokens; re-enabling lets them log in again", async () => {
    const { user, token } = await member("dis");
    expect((await call("PATCH", `/users/${user.id}`, { user: { enabled: false } })).status).toBe(200);
    expect(await servers(token)).toBe(401);
    await expect(api.login("dis", "dispw", "dis-p")).rejects.toThrow(/401/);
    await call("PATCH", `/users/${user.id}`, { user: { enabled: true } });
    const fresh = await api.login("dis", "dispw", "dis-p");
    expect(await servers(fresh)).toBe(200);
    expect((await call("DELETE", `/users/${user.id}`)).status).toBe(204);
    expect(await servers(fresh)).toBe(401);
  });

  it("an admin setting a password ends the user's tokens", async () => {
    const { user, token } = await member("reset");
    expect((await call("PATCH", `/users/${user.id}`, { user: { password: "resetpw2" } })).status).toBe(200);
    expect(await servers(token)).toBe(401);
    expect(await servers(await api.login("reset", "resetpw2", "reset-p"))).toBe(200);
  });

  it("disabling or deleting a project ends the tokens scoped to it", async () => {
    const a = await member("proj");
    expect((await call("PATCH", `/projects/${a.project.id}`, { project: { enabled: false } })).status).toBe(200);
    expect(await servers(a.token)).toBe(401);
    const b = await member("proj2");
    expect((await call("DELETE", `/projects/${b.project.id}`)).status).toBe(204);
    expect(await servers(b.token)).toBe(401);
  });

  it("a revoked token cannot be rescoped into a fresh one", async () => {
    const { user, token } = await member("resc");
    await call("PATCH", `/users/${user.id}`, { user: { enabled: false } });
    const res = await api.request("/identity/v3/auth/tokens", { method: "POST", json: { auth: { identity: { methods: ["token"], token: { id: token } } } } });
    expect(res.status).toBe(404); // as Keystone: the token is not found
  });

  it("another edge instance sees the event once its cache refreshes", async () => {
    const { user, token } = await member("far");
    const claims = (await api.deps.tokens.open(token))!;
    const other = new RevocationList(api.db, 5_000);
    expect(await other.isRevoked(claims)).toBe(false);
    await call("PATCH", `/users/${user.id}`, { user: { enabled: false } });
    expect(await other.isRevoked(claims)).toBe(false); // cached: within the bound
    expect(await other.isRevoked(claims, { fresh: true })).toBe(true);
    expect(await new RevocationList(api.db).isRevoked(claims)).toBe(true);
  });
});

describe("RevocationIndex", () => {
  const claims = (over: Partial<RevocableClaims> = {}): RevocableClaims => ({ audit: "a1", uid: "u", udom: "default", pid: "p", pdom: "default", roles: [{ id: "r", name: "member" }], iat: 1000, ...over });

  it("matches tokens issued at or before an event carrying every attribute it names", () => {
    const idx = new RevocationIndex();
    idx.addEvent({ userId: "u", projectId: "p" }, 1000);
    expect(idx.matches(claims())).toBe(true);
    expect(idx.matches(claims({ iat: 1001 }))).toBe(false);
    expect(idx.matches(claims({ pid: "q" }))).toBe(false);
    expect(idx.matches(claims({ pid: undefined }))).toBe(false);
    idx.addEvent({ roleId: "r" }, 2000);
    expect(idx.matches(claims({ iat: 1500, pid: "q" }))).toBe(true);
    idx.addEvent({ domainId: "d2" }, 3000);
    expect(idx.matches(claims({ iat: 2500, roles: [], pdom: "d2" }))).toBe(true);
    expect(idx.matches(claims({ iat: 2500, roles: [] }))).toBe(false);
    idx.addAudit("a2");
    expect(idx.matches(claims({ audit: "a2", iat: 9999 }))).toBe(true);
    expect(() => idx.addEvent({}, 1)).toThrow();
  });

  it("covers domain-scoped tokens and application credential tokens", () => {
    const idx = new RevocationIndex();
    idx.addEvent({ userId: "u", domainId: "d1" }, 1000);
    const scoped = { pid: undefined, pdom: undefined, did: "d1", roles: [] };
    expect(idx.matches(claims(scoped))).toBe(true);
    expect(idx.matches(claims({ ...scoped, did: "d2" }))).toBe(false);
    expect(idx.matches(claims({ pdom: "d1", roles: [] }))).toBe(true); // a project in that domain (inherited grants)
    expect(idx.matches(claims({ uid: "v", ...scoped }))).toBe(false);
    idx.addEvent({ appCredId: "ac" }, 1000);
    expect(idx.matches(claims({ roles: [], acid: "ac" }))).toBe(true);
    expect(idx.matches(claims({ roles: [], acid: "other" }))).toBe(false);
  });
});
