import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nextHistory } from "../../edge/src/identity/admin/password-history.js";
import { makeApi, type Api } from "./harness.js";

/** Self-service password changes: the old credential is the proof, recent passwords cannot come back. */
let api: Api;
let adminToken = "";

const call = (method: string, path: string, json?: unknown, token?: string) => api.request(`/identity/v3${path}`, { method, token, json });
const auth = (id: string, password: string) =>
  api.request("/identity/v3/auth/tokens", { method: "POST", json: { auth: { identity: { methods: ["password"], password: { user: { id, password } } } } } });
const change = (id: string, original_password: string, password: string) => call("POST", `/users/${id}/password`, { user: { original_password, password } });

beforeAll(async () => {
  api = await makeApi();
  adminToken = await api.login("admin", "adminpw", "admin");
});
afterAll(() => api.cleanup());

describe("password history", () => {
  it("keeps only as many previous hashes as the rule needs", () => {
    expect(nextHistory([], "h1")).toEqual(["h1"]);
    expect(nextHistory(["h1"], "h2")).toEqual(["h2"]);
    expect(nextHistory(["h1"], "")).toEqual([]);
  });

  it("refuses the current and the previous password, allows older ones, and not for an admin reset", async () => {
    const user = (await (await call("POST", "/users", { user: { name: "pat", password: "p1" } }, adminToken)).json()).user;
    const old = (await auth(user.id, "p1")).headers.get("X-Subject-Token")!;
    expect((await change(user.id, "wrong", "p2")).status).toBe(401);
    expect((await change(user.id, "p1", "p1")).status).toBe(400);
    expect((await change(user.id, "p1", "p2")).status).toBe(204);
    const rescope = await api.request("/identity/v3/auth/tokens", { method: "POST", json: { auth: { identity: { methods: ["token"], token: { id: old } } } } });
    expect(rescope.status).toBe(404);
    expect((await auth(user.id, "p1")).status).toBe(401);
    expect((await change(user.id, "p2", "p1")).status).toBe(400);
    expect((await change(user.id, "p2", "p3")).status).toBe(204);
    expect((await change(user.id, "p3", "p1")).status).toBe(204);
    expect((await call("PATCH", `/users/${user.id}`, { user: { password: "p1" } }, adminToken)).status).toBe(200);
    expect((await auth(user.id, "p1")).status).toBe(201);
  });
});
