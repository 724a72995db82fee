import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeApi, type Api } from "./harness.js";

/** Groups, grants to groups and on domains, inherited grants, inference rules and domain roles. */
let api: Api;
let adminToken = "";
const roleIds: Record<string, string> = {};
const V3 = "http://nimbus.test/identity/v3";

const call = (method: string, path: string, json?: unknown, token = adminToken) => api.request(`/identity/v3${path}`, { method, token, json });
const body = async (res: Response) => res.json() as Promise<Record<string, any>>;
const create = async (kind: string, json: Record<string, unknown>) => (await body(await call("POST", `/${kind}s`, { [kind]: json })))[kind];
const auth = (user: string, password: string, scope?: unknown) =>
  api.request("/identity/v3/auth/tokens", { method: "POST", json: { auth: { identity: { methods: ["password"], password: { user: { id: user, password } } }, ...(scope ? { scope } : {}) } } });

beforeAll(async () => {
  api = await makeApi();
  adminToken = await api.login("admin", "adminpw", "admin");
  for (const r of (await body(await call("GET", "/roles"))).roles) roleIds[r.name] = r.id;
});
afterAll(() => api.cleanup());

describe("groups", () => {
  it("creates, lists members, grants through the group and revokes on leaving", async () => {
    const domain = await create("domain", { name: "g-dom" });
    const group = await create("group", { name: "ops", domain_id: domain.id, description: "Ops", project_id: "extra" });
    expect(group).toEqual({ id: group.id, name: "ops", domain_id: domain.id, description: "Ops", project_id: "extra", links: { self: `${V3}/groups/${group.id}` } });
    expect((await call("POST", "/groups", { group: { name: "ops", domain_id: domain.id } })).status).toBe(409);
    const project = await create("project", { name: "g-proj", domain_id: "default" });
    const user = await create("user", { name: "gina", password: "ginapw" });
    expect((await call("PUT", `/groups/${group.id}/users/${user.id}`)).status).toBe(204);
    expect((await call("HEAD", `/groups/${group.id}/users/${user.id}`)).status).toBe(204);
    expect((await body(await call("GET", `/groups/${group.id}/users`))).users.map((u: any) => u.id)).toEqual([user.id]);
    expect((await body(await call("GET", `/users/${user.id}/groups`))).groups).toEqual([{ ...group, membership_expires_at: null }]);

    expect((await auth(user.id, "ginapw", { project: { id: project.id } })).status).toBe(401);
    expect((await call("PUT", `/projects/${project.id}/groups/${group.id}/roles/${roleIds.member}`)).status).toBe(204);
    const res = await auth(user.id, "ginapw", { project: { id: project.id } });
    expect(res.status).toBe(201);
    expect((await body(res)).token.roles.map((r: any) => r.name)).toEqual(["member", "reader"]);
    const token = res.headers.get("X-Subject-Token")!;
    const eff = (await body(await call("GET", `/role_assignments?effective&user.id=${user.id}`))).role_assignments;
    expect(eff[0].links).toEqual({
      assignment: `${V3}/projects/${project.id}/groups/${group.id}/roles/${roleIds.member}`,
      membership: `${V3}/groups/${group.id}/users/${user.id}`,
    });
    expect((await call("GET", `/role_assignments?effective&group.id=${group.id}`)).status).toBe(400);

    expect((await call("DELETE", `/groups/${group.id}/users/${user.id}`)).status).toBe(204);
    expect((await api.request("/compute/v2.1/servers", { token })).status).toBe(401);
    expect((await call("DELETE", `/groups/${group.id}/users/${user.id}`)).status).toBe(404);
    expect((await call("DELETE", `/groups/${group.id}`)).status).toBe(204);
    expect((await call("GET", `/groups/${group.id}`)).status).toBe(404);
  });
});

describe("domain grants and tokens", () => {
  it("scopes a token to a domain, lists it in /auth/domains, and never makes a domain admin a cloud admin", async () => {
    const domain = await create("domain", { name: "d-scope" });
    const user = await create("user", { name: "dora", password: "dorapw" });
    expect((await auth(user.id, "dorapw", { domain: { id: domain.id } })).status).toBe(401);
    expect((await call("PUT", `/domains/${domain.id}/users/${user.id}/roles/${roleIds.admin}`)).status).toBe(204);
    expect((await body(await call("GET", `/domains/${domain.id}/users/${user.id}/roles`))).roles.map((r: any) => r.name)).toEqual(["admin"]);
    const res = await auth(user.id, "dorapw", { domain: { name: "d-scope" } });
    expect(res.status).toBe(201);
    const { token } = await body(res);
    expect(token.domain).toEqual({ id: domain.id, name: "d-scope" });
    expect(token.project).toBeUndefined();
    expect(token.catalog.length).toBeGreaterThan(0);
    const domainToken = res.headers.get("X-Subject-Token")!;
    expect((await body(await call("GET", "/auth/domains", undefined, domainToken))).domains.map((d: any) => d.id)).toEqual([domain.id]);
    expect((await call("GET", "/users", undefined, domainToken)).status).toBe(403);
    expect((await call("GET", `/domains/${domain.id}`, undefined, domainToken)).status).toBe(200);

    expect((await call("DELETE", `/domains/${domain.id}/users/${user.id}/roles/${roleIds.admin}`)).status).toBe(204);
    expect((await call("GET", "/auth/domains", undefined, domainToken)).status).toBe(401);
  });

  it("gives inherited grants to the projects below, not the target", async () => {
    const user = await create("user", { name: "ian", password: "ianpw" });
    const parent = await create("project", { name: "inh-parent" });
    const child = await create("project", { name: "inh-child", parent_id: parent.id });
    const grant = `/OS-INHERIT/projects/${parent.id}/users/${user.id}/roles/${roleIds.reader}/inherited_to_projects`;
    expect((await call("PUT", grant)).status).toBe(204);
    expect((await call("HEAD", grant)).status).toBe(204);
    expect((await auth(user.id, "ianpw", { project: { id: parent.id } })).status).toBe(401);
    expect((await auth(user.id, "ianpw", { project: { id: child.id } })).status).toBe(201);
    const direct = (await body(await call("GET", `/role_assignments?user.id=${user.id}`))).role_assignments;
    expect(direct[0].scope).toEqual({ project: { id: parent.id }, "OS-INHERIT:inherited_to": "projects" });
    expect((await call("DELETE", grant)).status).toBe(204);
    expect((await auth(user.id, "ianpw", { project: { id: child.id } })).status).toBe(401);
  });
});

describe("tokens", () => {
  it("rescopes an unscoped token, keeping its expiry and chaining its audit id", async () => {
    const user = await create("user", { name: "rex", password: "rexpw" });
    const res = await auth(user.id, "rexpw");
    const unscoped = await body(res);
    expect(unscoped.token.roles).toBeUndefined();
    const rescoped = await api.request("/identity/v3/auth/tokens", {
      method: "POST", json: { auth: { identity: { methods: ["token"], token: { id: res.headers.get("X-Subject-Token") } }, scope: { project: { id: api.projects.demo } } } },
    });
    expect(rescoped.status).toBe(401);
    await call("PUT", `/projects/${api.projects.demo}/users/${user.id}/roles/${roleIds.member}`);
    const again = await api.request("/identity/v3/auth/tokens", {
      method: "POST", json: { auth: { identity: { methods: ["token"], token: { id: res.headers.get("X-Subject-Token") } }, scope: { project: { name: "demo", domain: { id: "default" } } } } },
    });
    const { token } = await body(again);
    expect(token.methods).toEqual(["password", "token"]);
    expect(token.expires_at).toBe(unscoped.token.expires_at);
    expect(token.audit_ids[1]).toBe(unscoped.token.audit_ids[0]);
    expect(token.project.domain).toEqual({ id: "default", name: "Default" });
  });

  it("issues a system-scoped token from a system grant", async () => {
    const user = await create("user", { name: "sys", password: "syspw" });
    expect((await auth(user.id, "syspw", { system: { all: true } })).status).toBe(401);
    expect((await call("PUT", `/system/users/${user.id}/roles/${roleIds.reader}`)).status).toBe(204);
    expect((await body(await call("GET", `/role_assignments?scope.system=all&user.id=${user.id}`))).role_assignments[0].scope).toEqual({ system: { all: true } });
    expect((await body(await auth(user.id, "syspw", { system: { all: true } }))).token.system).toEqual({ all: true });
  });

  it("scopes to the default project when none is asked for", async () => {
    const user = await create("user", { name: "dee", password: "deepw", default_project_id: api.projects.demo });
    expect((await body(await auth(user.id, "deepw"))).token.project).toBeUndefined();
    await call("PUT", `/projects/${api.projects.demo}/users/${user.id}/roles/${roleIds.reader}`);
    expect((await body(await auth(user.id, "deepw"))).token.project.id).toBe(api.projects.demo);
  });
});

describe("roles", () => {
  it("manages inference rules, refuses to imply admin or to drop the seeded rules", async () => {
    const a = await create("role", { name: "ra" });
    const b = await create("role", { name: "rb" });
    expect((await call("PUT", `/roles/${a.id}/implies/${b.id}`)).status).toBe(201);
    expect((await call("HEAD", `/roles/${a.id}/implies/${b.id}`)).status).toBe(204);
    expect((await body(await call("GET", `/roles/${a.id}/implies`))).role_inference.implies.map((r: any) => r.id)).toEqual([b.id]);
    const all = (await body(await call("GET", "/role_inferences"))).role_inferences;
    expect(all.find((i: any) => i.prior_role.id === a.id).implies.map((r: any) => r.id)).toEqual([b.id]);
    expect((await call("PUT", `/roles/${a.id}/implies/${roleIds.admin}`)).status).toBe(403);
    expect((await call("DELETE", `/roles/${roleIds.member}/implies/${roleIds.reader}`)).status).toBe(403);
    expect((await call("DELETE", `/roles/${a.id}/implies/${b.id}`)).status).toBe(204);
    expect((await call("GET", `/roles/${a.id}/implies/${b.id}`)).status).toBe(404);
  });

  it("keeps domain roles out of global listings and out of tokens", async () => {
    const domain = await create("domain", { name: "dr-dom" });
    const dr = await create("role", { name: "member", domain_id: domain.id });
    expect(dr.domain_id).toBe(domain.id);
    expect((await body(await call("GET", `/roles?domain_id=${domain.id}`))).roles).toEqual([dr]);
    expect((await body(await call("GET", "/roles"))).roles.map((r: any) => r.id)).not.toContain(dr.id);
    const project = await create("project", { name: "dr-proj", domain_id: domain.id });
    const user = await create("user", { name: "drew", password: "drewpw", domain_id: domain.id });
    expect((await call("PUT", `/projects/${api.projects.demo}/users/${user.id}/roles/${dr.id}`)).status).toBe(403);
    expect((await call("PUT", `/projects/${project.id}/users/${user.id}/roles/${dr.id}`)).status).toBe(204);
    expect((await auth(user.id, "drewpw", { project: { id: project.id } })).status).toBe(401);
  });

  it("treats a project acting as a domain as the domain", async () => {
    const res = await call("POST", "/projects", { project: { name: "as-domain", domain_id: null, is_domain: true } });
    expect(res.status).toBe(201);
    const { project } = await body(res);
    expect(project).toMatchObject({ is_domain: true, domain_id: null, parent_id: null });
    expect((await body(await call("GET", "/projects?is_domain=true"))).projects.map((p: any) => p.id)).toContain(project.id);
    expect((await body(await call("GET", "/projects"))).projects.map((p: any) => p.id)).not.toContain(project.id);
    expect((await body(await call("GET", `/domains/${project.id}`))).domain.name).toBe("as-domain");
    expect((await call("DELETE", `/projects/${project.id}`)).status).toBe(403);
    expect((await call("PATCH", `/projects/${project.id}`, { project: { enabled: false } })).status).toBe(200);
    expect((await call("DELETE", `/projects/${project.id}`)).status).toBe(204);
    expect((await call("GET", `/domains/${project.id}`)).status).toBe(404);
  });
});
