import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeApi, type Api } from "./harness.js";

/** Keystone v3 admin API: shapes, status codes and errors for domains, projects, users and roles. */
let api: Api;
let adminToken = "";
const V3 = "http://nimbus.test/identity/v3";

const call = (method: string, path: string, json?: unknown, token = adminToken) => api.request(`/identity/v3${path}`, { method, token, json });
const body = async (res: Response) => res.json() as Promise<Record<string, any>>;

beforeAll(async () => {
  api = await makeApi();
  adminToken = await api.login("admin", "adminpw", "admin");
});
afterAll(() => api.cleanup());

describe("domains", () => {
  it("lists and shows the default domain, filtered by name", async () => {
    const list = await body(await call("GET", "/domains?name=Default"));
    expect(list.domains).toEqual([{ id: "default", name: "Default", description: "The default domain", enabled: true, tags: [], options: {}, links: { self: `${V3}/domains/default` } }]);
    expect(list.links).toEqual({ self: `${V3}/domains?name=Default`, previous: null, next: null });
    expect((await body(await call("GET", "/domains/default"))).domain.name).toBe("Default");
    expect((await body(await call("GET", "/domains?name=nope"))).domains).toEqual([]);
  });

  it("creates, updates, refuses to delete while enabled, then deletes", async () => {
    const res = await call("POST", "/domains", { domain: { name: "acme", description: "ACME" } });
    expect(res.status).toBe(201);
    const { domain } = await body(res);
    expect(domain).toMatchObject({ name: "acme", description: "ACME", enabled: true, links: { self: `${V3}/domains/${domain.id}` } });
    expect((await call("POST", "/domains", { domain: { name: "acme" } })).status).toBe(409);
    expect((await call("DELETE", `/domains/${domain.id}`)).status).toBe(403);
    const patched = await call("PATCH", `/domains/${domain.id}`, { domain: { enabled: false } });
    expect((await body(patched)).domain.enabled).toBe(false);
    expect((await call("DELETE", `/domains/${domain.id}`)).status).toBe(204);
    const gone = await call("GET", `/domains/${domain.id}`);
    expect(gone.status).toBe(404);
    expect(await body(gone)).toEqual({ error: { code: 404, title: "Not Found", message: `Could not find domain: ${domain.id}.` } });
  });

  it("never disables or deletes the default domain", async () => {
    expect((await call("PATCH", "/domains/default", { domain: { enabled: false } })).status).toBe(403);
    expect((await call("DELETE", "/domains/default")).status).toBe(403);
  });
});

describe("projects", () => {
  it("creates a project in Keystone's shape, then shows, lists, updates and deletes it", async () => {
    const res = await call("POST", "/projects", { project: { name: "p1", description: "first", domain_id: "default" } });
    expect(res.status).toBe(201);
    const { project } = await body(res);
    expect(project).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{32}$/), name: "p1", domain_id: "default", description: "first", enabled: true,
      parent_id: "default", is_domain: false, tags: [], options: {}, links: { self: `${V3}/projects/${project.id}` },
    });
    expect((await body(await call("GET", `/projects/${project.id}`))).project).toEqual(project);
    expect((await body(await call("GET", "/projects?name=p1&domain_id=default"))).projects).toEqual([project]);
    expect((await body(await call("GET", "/projects?name=p1&enabled=false"))).projects).toEqual([]);

    const patched = await body(await call("PATCH", `/projects/${project.id}`, { project: { name: "p1b", description: "renamed", enabled: false } }));
    expect(patched.project).toMatchObject({ id: project.id, name: "p1b", description: "renamed", enabled: false });
    expect((await body(await call("GET", "/projects?enabled=false"))).projects.map((p: { id: string }) => p.id)).toEqual([project.id]);

    expect((await call("DELETE", `/projects/${project.id}`)).status).toBe(204);
    expect((await call("GET", `/projects/${project.id}`)).status).toBe(404);
    expect((await call("DELETE", `/projects/${project.id}`)).status).toBe(404);
  });

  it("answers 409 for a name taken in the domain, 404 for unknown ids, 400 for malformed bodies", async () => {
    const dup = await call("POST", "/projects", { project: { name: "demo" } });
    expect(dup.status).toBe(409);
    expect((await body(dup)).error).toMatchObject({ code: 409, title: "Conflict" });
    const missing = await call("GET", "/projects/nope");
    expect(await body(missing)).toEqual({ error: { code: 404, title: "Not Found", message: "Could not find project: nope." } });
    expect((await call("POST", "/projects", { project: { name: "x", domain_id: "nodomain" } })).status).toBe(404);
    for (const bad of [{ project: {} }, { project: { name: "" } }, { name: "x" }, { project: { name: "x", enabled: "yes" } }, { project: { name: "x", is_domain: true, domain_id: "default" } }]) {
      const res = await call("POST", "/projects", bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect((await body(res)).error).toMatchObject({ code: 400, title: "Bad Request" });
    }
    const notJson = await api.request("/identity/v3/projects", { method: "POST", token: adminToken, body: "{nope", headers: { "Content-Type": "application/json" } });
    expect(notJson.status).toBe(400);
    expect((await call("PATCH", `/projects/${api.projects.demo}`, { project: { name: "other" } })).status).toBe(409);
    expect((await call("PATCH", `/projects/${api.projects.demo}`, { project: { domain_id: "elsewhere" } })).status).toBe(400);
  });

  it("nests projects: parent_id filter, and a parent with children cannot be deleted", async () => {
    const parent = (await body(await call("POST", "/projects", { project: { name: "parent" } }))).project;
    const child = (await body(await call("POST", "/projects", { project: { name: "child", parent_id: parent.id } }))).project;
    expect(child).toMatchObject({ parent_id: parent.id, domain_id: "default" });
    expect((await body(await call("GET", `/projects?parent_id=${parent.id}`))).projects.map((p: { id: string }) => p.id)).toEqual([child.id]);
    expect((await body(await call("GET", "/projects?parent_id=default"))).projects.map((p: { name: string }) => p.name)).toContain("parent");
    expect((await call("POST", "/projects", { project: { name: "orphan", parent_id: "nope" } })).status).toBe(404);
    expect((await call("DELETE", `/projects/${parent.id}`)).status).toBe(403);
    expect((await call("DELETE", `/projects/${child.id}`)).status).toBe(204);
    expect((await call("DELETE", `/projects/${parent.id}`)).status).toBe(204);
  });
});

describe("users", () => {
  it("creates a user with extra attributes and never returns the password", async () => {
    const res = await call("POST", "/users", { user: { name: "carol", password: "carolpw", email: "carol@example.com", description: "Carol", default_project_id: api.projects.demo, project_id: api.projects.demo } });
    expect(res.status).toBe(201);
    const text = await res.text();
    expect(text).not.toMatch(/carolpw|pbkdf2|password_hash|passwordHash/);
    const { user } = JSON.parse(text);
    expect(user).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{32}$/), name: "carol", domain_id: "default", enabled: true, email: "carol@example.com", description: "Carol",
      default_project_id: api.projects.demo, project_id: api.projects.demo, password_expires_at: null, options: {}, links: { self: `${V3}/users/${user.id}` },
    });
    expect((await body(await call("GET", `/users/${user.id}`))).user).toEqual(user);
    expect((await body(await call("GET", "/users?name=carol&domain_id=default"))).users).toEqual([user]);
    expect((await call("POST", "/users", { user: { name: "carol" } })).status).toBe(409);

    const patched = (await body(await call("PATCH", `/users/${user.id}`, { user: { email: "c@example.org", enabled: false } }))).user;
    expect(patched).toMatchObject({ email: "c@example.org", description: "Carol", enabled: false });
    expect((await body(await call("GET", "/users?enabled=false"))).users.map((u: { name: string }) => u.name)).toEqual(["carol"]);
    expect((await call("DELETE", `/users/${user.id}`)).status).toBe(204);
    expect(await body(await call("GET", `/users/${user.id}`))).toEqual({ error: { code: 404, title: "Not Found", message: `Could not find user: ${user.id}.` } });
    expect((await call("PATCH", `/users/${user.id}`, { user: { enabled: true } })).status).toBe(404);
  });

  it("a user without a password exists but cannot authenticate", async () => {
    const { user } = await body(await call("POST", "/users", { user: { name: "nopw" } }));
    await call("PUT", `/projects/${api.projects.demo}/users/${user.id}/roles/${await roleId("member")}`);
    await expect(api.login("nopw", "", "demo")).rejects.toThrow(/400|401/);
    expect((await call("POST", "/users", { user: { password: "x" } })).status).toBe(400);
  });
});

async function roleId(name: string): Promise<string> {
  return (await body(await call("GET", `/roles?name=${name}`))).roles[0].id;
}

describe("roles", () => {
  it("lists the seeded roles as immutable, with admin ⊃ member ⊃ reader inferences", async () => {
    const { roles } = await body(await call("GET", "/roles"));
    expect(roles.map((r: { name: string }) => r.name)).toEqual(["admin", "member", "reader"]);
    expect(roles[0]).toEqual({ id: roles[0].id, name: "admin", domain_id: null, description: null, options: { immutable: true }, links: { self: `${V3}/roles/${roles[0].id}` } });
    expect((await call("DELETE", `/roles/${roles[0].id}`)).status).toBe(403);
    expect((await call("PATCH", `/roles/${roles[1].id}`, { role: { name: "boss" } })).status).toBe(403);
    const inf = (await body(await call("GET", "/role_inferences"))).role_inferences;
    expect(inf.map((i: any) => [i.prior_role.name, i.implies.map((r: { name: string }) => r.name)])).toEqual([["admin", ["member"]], ["member", ["reader"]]]);
  });

  it("creates, shows, renames and deletes a custom role", async () => {
    const res = await call("POST", "/roles", { role: { name: "auditor", description: "reads logs" } });
    expect(res.status).toBe(201);
    const { role } = await body(res);
    expect(role).toMatchObject({ name: "auditor", description: "reads logs", domain_id: null, options: {} });
    expect((await call("POST", "/roles", { role: { name: "auditor" } })).status).toBe(409);
    expect((await call("POST", "/roles", { role: { name: "x", domain_id: "nodomain" } })).status).toBe(404);
    expect((await body(await call("GET", `/roles/${role.id}`))).role).toEqual(role);
    expect((await body(await call("PATCH", `/roles/${role.id}`, { role: { name: "inspector" } }))).role.name).toBe("inspector");
    expect((await call("PATCH", `/roles/${role.id}`, { role: { name: "admin" } })).status).toBe(409);
    expect((await call("DELETE", `/roles/${role.id}`)).status).toBe(204);
    expect((await call("GET", `/roles/${role.id}`)).status).toBe(404);
  });
});
