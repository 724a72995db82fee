import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chooseRoles } from "../../edge/src/identity/app-creds/roles.js";
import { makeApi, type Api } from "./harness.js";

/** Application credentials: creation from a project token, authentication, restriction, revocation. */
let api: Api;
let aliceToken = "";
const roleIds: Record<string, string> = {};

const call = (method: string, path: string, json?: unknown, token = aliceToken) => api.request(`/identity/v3${path}`, { method, token, json });
const body = async (res: Response) => res.json() as Promise<Record<string, any>>;
const authWith = (application_credential: Record<string, unknown>) =>
  api.request("/identity/v3/auth/tokens", { method: "POST", json: { auth: { identity: { methods: ["application_credential"], application_credential } } } });

beforeAll(async () => {
  api = await makeApi();
  aliceToken = await api.login("alice", "alicepw", "demo");
  const admin = await api.login("admin", "adminpw", "admin");
  for (const r of (await body(await call("GET", "/roles", undefined, admin))).roles) roleIds[r.name] = r.id;
});
afterAll(() => api.cleanup());

const myId = async () => (await body(await api.request("/identity/v3/auth/tokens", { token: aliceToken, headers: { "X-Subject-Token": aliceToken } }))).token.user.id as string;

describe("choosing roles", () => {
  const held = [{ id: "m", name: "member" }, { id: "r", name: "reader" }];
  it("takes the token's roles by default, else a subset named by id or name", () => {
    expect(chooseRoles(undefined, held)).toEqual({ ids: ["m", "r"] });
    expect(chooseRoles([{ name: "reader" }, { id: "r" }], held)).toEqual({ ids: ["r"] });
    expect(chooseRoles([{ name: "admin" }], held)).toEqual({ missing: { name: "admin" } });
  });
});

describe("application credentials", () => {
  it("shows the secret once, authenticates by id or by name and user, and is revoked on delete", async () => {
    const me = await myId();
    const res = await call("POST", `/users/${me}/application_credentials`, { application_credential: { name: "ci", roles: [{ name: "reader" }], expires_at: "2099-01-02T03:04:05.123456" } });
    expect(res.status).toBe(201);
    const { application_credential: created } = await body(res);
    expect(created).toMatchObject({ name: "ci", project_id: api.projects.demo, unrestricted: false, expires_at: "2099-01-02T03:04:05.123456", roles: [{ id: roleIds.reader, name: "reader" }] });
    expect(created.secret.length).toBeGreaterThanOrEqual(64);
    const shown = (await body(await call("GET", `/users/${me}/application_credentials/${created.id}`))).application_credential;
    expect(shown.secret).toBeUndefined();
    expect((await body(await call("GET", `/users/${me}/application_credentials?name=ci`))).application_credentials.map((a: any) => a.id)).toEqual([created.id]);

    const byId = await authWith({ id: created.id, secret: created.secret });
    expect(byId.status).toBe(201);
    const { token } = await body(byId);
    expect(token).toMatchObject({ methods: ["application_credential"], project: { id: api.projects.demo }, roles: [{ id: roleIds.reader, name: "reader" }], application_credential: { id: created.id, name: "ci", restricted: true } });
    const acToken = byId.headers.get("X-Subject-Token")!;
    expect((await api.request("/compute/v2.1/servers", { token: acToken })).status).toBe(200);
    expect((await authWith({ name: "ci", secret: created.secret, user: { name: "alice", domain: { id: "default" } } })).status).toBe(201);
    expect((await authWith({ id: created.id, secret: "wrong" })).status).toBe(401);

    // A restricted credential's token cannot make more credentials or rescope.
    expect((await call("POST", `/users/${me}/application_credentials`, { application_credential: { name: "more" } }, acToken)).status).toBe(403);
    const rescope = await api.request("/identity/v3/auth/tokens", { method: "POST", json: { auth: { identity: { methods: ["token"], token: { id: acToken } } } } });
    expect(rescope.status).toBe(403);

    expect((await call("POST", `/users/${me}/application_credentials`, { application_credential: { name: "ci" } })).status).toBe(409);
    expect((await call("DELETE", `/users/${me}/application_credentials/${created.id}`)).status).toBe(204);
    expect((await api.request("/compute/v2.1/servers", { token: acToken })).status).toBe(401);
    expect((await authWith({ id: created.id, secret: created.secret })).status).toBe(401);
  });

  it("refuses roles the token lacks, other users, past expiry, and stops working when the user loses the role", async () => {
    const me = await myId();
    const path = `/users/${me}/application_credentials`;
    expect((await call("POST", path, { application_credential: { name: "x", roles: [{ name: "admin" }] } })).status).toBe(404);
    expect((await call("POST", path, { application_credential: { name: "x", expires_at: "2001-01-01T00:00:00" } })).status).toBe(400);
    expect((await call("POST", path, { application_credential: { name: "x", expires_at: "soon" } })).status).toBe(400);
    const bob = await api.login("bob", "bobpw", "other");
    expect((await call("POST", path, { application_credential: { name: "x" } }, bob)).status).toBe(403);
    expect((await call("GET", path, undefined, bob)).status).toBe(403);

    const { application_credential: ac } = await body(await call("POST", path, { application_credential: { name: "member-cred", secret: "chosen-secret", unrestricted: true } }));
    expect(ac.secret).toBe("chosen-secret");
    expect(ac.roles.map((r: any) => r.name)).toEqual(["member", "reader"]);
    expect((await authWith({ id: ac.id, secret: "chosen-secret" })).status).toBe(201);
    const admin = await api.login("admin", "adminpw", "admin");
    expect((await call("DELETE", `/projects/${api.projects.demo}/users/${me}/roles/${roleIds.member}`, undefined, admin)).status).toBe(204);
    expect((await authWith({ id: ac.id, secret: "chosen-secret" })).status).toBe(401);
  });
});
