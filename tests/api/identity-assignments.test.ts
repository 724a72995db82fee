import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeApi, type Api } from "./harness.js";

/** Role grants, role_assignments (effective, include_names), and who may call the admin API. */
let api: Api;
let adminToken = "";
let aliceToken = "";
const roleIds: Record<string, string> = {};
const userIds: Record<string, string> = {};
const V3 = "http://nimbus.test/identity/v3";

const call = (method: string, path: string, json?: unknown, token = adminToken) => api.request(`/identity/v3${path}`, { method, token, json });
const body = async (res: Response) => res.json() as Promise<Record<string, any>>;

beforeAll(async () => {
  api = await makeApi();
  [adminToken, aliceToken] = await Promise.all([api.login("admin", "adminpw", "admin"), api.login("alice", "alicepw", "demo")]);
  for (const r of (await body(await call("GET", "/roles"))).roles) roleIds[r.name] = r.id;
  for (const u of (await body(await call("GET", "/users"))).users) userIds[u.name] = u.id;
});
afterAll(() => api.cleanup());

describe("role grants on projects", () => {
  it("grants, checks, lists and removes a role, like tempest's dynamic credentials", async () => {
    const project = (await body(await call("POST", "/projects", { project: { name: "tempest-p", description: "d", domain_id: "default" } }))).project;
    const user = (await body(await call("POST", "/users", { user: { name: "tempest-u", password: "tpw", domain_id: "default", email: "t@example.com" } }))).user;
    const grant = `/projects/${project.id}/users/${user.id}/roles/${roleIds.member}`;
    expect((await call("HEAD", grant)).status).toBe(404);
    expect((await call("PUT", grant)).status).toBe(204);
    expect((await call("PUT", grant)).status).toBe(204); // idempotent
    const head = await call("HEAD", grant);
    expect(head.status).toBe(204);
    expect(await head.text()).toBe("");
    expect((await call("GET", grant)).status).toBe(204);
    const roles = (await body(await call("GET", `/projects/${project.id}/users/${user.id}/roles`))).roles;
    expect(roles.map((r: { name: string }) => r.name)).toEqual(["member"]);
    expect(roles[0].links.self).toBe(`${V3}/roles/${roleIds.member}`);

    const token = await api.login("tempest-u", "tpw", "tempest-p");
    expect((await api.request("/compute/v2.1/servers", { token })).status).toBe(200);
    const own = await body(await call("GET", `/users/${user.id}/projects`, undefined, token));
    expect(own.projects.map((p: { id: string }) => p.id)).toEqual([project.id]);
    expect(own.projects[0]).toMatchObject({ name: "tempest-p", domain_id: "default", is_domain: false, links: { self: `${V3}/projects/${project.id}` } });

    expect((await call("DELETE", grant)).status).toBe(204);
    expect((await call("DELETE", grant)).status).toBe(404);
    expect((await call("HEAD", grant)).status).toBe(404);
    expect((await call("DELETE", `/users/${user.id}`)).status).toBe(204);
    expect((await call("DELETE", `/projects/${project.id}`)).status).toBe(204);
  });

  it("answers 404 naming whichever of project, user and role is unknown", async () => {
    const demo = api.projects.demo;
    const cases: Array<[string, string]> = [
      [`/projects/nope/users/${userIds.alice}/roles/${roleIds.member}`, "Could not find project: nope."],
      [`/projects/${demo}/users/nope/roles/${roleIds.member}`, "Could not find user: nope."],
      [`/projects/${demo}/users/${userIds.alice}/roles/nope`, "Could not find role: nope."],
    ];
    for (const [path, message] of cases) {
      const res = await call("PUT", path);
      expect(res.status).toBe(404);
      expect((await body(res)).error.message).toBe(message);
    }
    expect((await call("GET", `/projects/nope/users/${userIds.alice}/roles`)).status).toBe(404);
  });
});

describe("role_assignments", () => {
  it("lists direct assignments filtered by user, project and role", async () => {
    const res = await body(await call("GET", `/role_assignments?user.id=${userIds.alice}`));
    expect(res.role_assignments).toEqual([{
      links: { assignment: `${V3}/projects/${api.projects.demo}/users/${userIds.alice}/roles/${roleIds.member}` },
      role: { id: roleIds.member }, scope: { project: { id: api.projects.demo } }, user: { id: userIds.alice },
    }]);
    const demo = (await body(await call("GET", `/role_assignments?scope.project.id=${api.projects.demo}`))).role_assignments;
    expect(demo.map((a: any) => a.user.id).sort()).toEqual([userIds.alice, userIds.rita].sort());
    const readers = (await body(await call("GET", `/role_assignments?role.id=${roleIds.reader}`))).role_assignments;
    expect(readers.map((a: any) => a.user.id)).toEqual([userIds.rita]);
    expect((await body(await call("GET", "/role_assignments?scope.domain.id=default"))).role_assignments).toEqual([]);
    expect((await call("GET", `/role_assignments?scope.domain.id=default&scope.project.id=${api.projects.demo}`)).status).toBe(400);
  });

  it("expands implied roles when effective: admin also yields member and reader", async () => {
    const q = `user.id=${userIds.admin}&scope.project.id=${api.projects.admin}`;
    expect((await body(await call("GET", `/role_assignments?${q}`))).role_assignments.map((a: any) => a.role.id)).toEqual([roleIds.admin]);
    const eff = (await body(await call("GET", `/role_assignments?${q}&effective`))).role_assignments;
    expect(eff.map((a: any) => a.role.id)).toEqual([roleIds.admin, roleIds.member, roleIds.reader]);
    expect(eff[2].links).toEqual({
      assignment: `${V3}/projects/${api.projects.admin}/users/${userIds.admin}/roles/${roleIds.admin}`,
      prior_role: `${V3}/roles/${roleIds.member}/implies/${roleIds.reader}`,
    });
    const readers = (await body(await call("GET", `/role_assignments?effective&role.id=${roleIds.reader}`))).role_assignments;
    expect(readers.map((a: any) => a.user.id).sort()).toEqual([userIds.admin, userIds.alice, userIds.bob, userIds.rita].sort());
  });

  it("includes names on request", async () => {
    const res = await body(await call("GET", `/role_assignments?user.id=${userIds.alice}&include_names=True`));
    expect(res.role_assignments[0]).toMatchObject({
      role: { id: roleIds.member, name: "member" },
      scope: { project: { id: api.projects.demo, name: "demo", domain: { id: "default", name: "Default" } } },
      user: { id: userIds.alice, name: "alice", domain: { id: "default", name: "Default" } },
    });
  });
});

describe("policy", () => {
  const adminOnly: Array<[string, string, unknown?]> = [
    ["GET", "/domains"], ["POST", "/domains", { domain: { name: "x" } }], ["PATCH", "/domains/default", { domain: {} }], ["DELETE", "/domains/default"],
    ["GET", "/projects"], ["POST", "/projects", { project: { name: "x" } }], ["GET", "/projects/ID"], ["PATCH", "/projects/ID", { project: {} }], ["DELETE", "/projects/ID"],
    ["GET", "/users"], ["POST", "/users", { user: { name: "x" } }], ["PATCH", "/users/ALICE", { user: {} }], ["DELETE", "/users/ALICE"], ["GET", "/users/BOB"], ["GET", "/users/BOB/projects"],
    ["GET", "/roles"], ["POST", "/roles", { role: { name: "x" } }], ["GET", "/roles/ROLE"], ["PATCH", "/roles/ROLE", { role: {} }], ["DELETE", "/roles/ROLE"], ["GET", "/role_inferences"],
    ["PUT", "/projects/ID/users/ALICE/roles/ROLE"], ["GET", "/projects/ID/users/ALICE/roles/ROLE"], ["DELETE", "/projects/ID/users/ALICE/roles/ROLE"],
    ["GET", "/projects/ID/users/ALICE/roles"], ["GET", "/role_assignments"],
  ];
  const fill = (p: string) => p.replace("ID", api.projects.demo).replace("ALICE", userIds.alice).replace("BOB", userIds.bob).replace("ROLE", roleIds.member);

  it("refuses every admin call to a member with Keystone's 403 body, and to no token with 401", async () => {
    for (const [method, path, json] of adminOnly) {
      const res = await call(method, fill(path), json, aliceToken);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect((await body(res)).error).toMatchObject({ code: 403, title: "Forbidden" });
      expect((await api.request(`/identity/v3${fill(path)}`, { method, json })).status, `${method} ${path}`).toBe(401);
    }
  });

  it("lets a user read the domain of their project, and no other", async () => {
    expect((await body(await call("GET", "/domains/default", undefined, aliceToken))).domain.id).toBe("default");
    const other = (await body(await call("POST", "/domains", { domain: { name: "elsewhere" } }))).domain;
    expect((await call("GET", `/domains/${other.id}`, undefined, aliceToken)).status).toBe(403);
  });

  it("lets a user read their own record and list their own projects", async () => {
    const me = await body(await call("GET", `/users/${userIds.alice}`, undefined, aliceToken));
    expect(me.user).toMatchObject({ id: userIds.alice, name: "alice", password_expires_at: null });
    const mine = await body(await call("GET", `/users/${userIds.alice}/projects`, undefined, aliceToken));
    expect(mine.projects.map((p: { name: string }) => p.name)).toEqual(["demo"]);
    const auth = await body(await call("GET", "/auth/projects", undefined, aliceToken));
    expect(auth.projects.map((p: { name: string }) => p.name)).toEqual(["demo"]);
  });
});
