import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { matchesTagFilters } from "../../edge/src/identity/admin/project-tags.js";
import { makeApi, type Api } from "./harness.js";

/** Keystone's project tags API and the tag filters of GET /v3/projects. */
let api: Api;
let adminToken = "";
const call = (method: string, path: string, json?: unknown) => api.request(`/identity/v3${path}`, { method, token: adminToken, json });
const body = async (res: Response) => res.json() as Promise<Record<string, any>>;

beforeAll(async () => {
  api = await makeApi();
  adminToken = await api.login("admin", "adminpw", "admin");
});
afterAll(() => api.cleanup());

describe("project tags", () => {
  it("filters on all, any, and neither", () => {
    expect(matchesTagFilters(["a", "b"], { tags: "a,b" })).toBe(true);
    expect(matchesTagFilters(["a"], { tags: "a,b" })).toBe(false);
    expect(matchesTagFilters(["a"], { "tags-any": "b,a" })).toBe(true);
    expect(matchesTagFilters(["a", "b"], { "not-tags": "a,b" })).toBe(false);
    expect(matchesTagFilters(["a"], { "not-tags": "a,b" })).toBe(true);
    expect(matchesTagFilters(["a"], { "not-tags-any": "c,a" })).toBe(false);
  });

  it("adds, checks, replaces, lists and removes tags", async () => {
    const project = (await body(await call("POST", "/projects", { project: { name: "tagged" } }))).project;
    const base = `/projects/${project.id}/tags`;
    expect((await call("PUT", `${base}/blue`)).status).toBe(201);
    expect((await call("HEAD", `${base}/blue`)).status).toBe(204);
    expect((await call("GET", `${base}/red`)).status).toBe(404);
    expect((await body(await call("PUT", base, { tags: ["x", "y", "x"] }))).tags).toEqual(["x", "y"]);
    expect((await body(await call("GET", base))).tags).toEqual(["x", "y"]);
    expect((await body(await call("GET", "/projects?tags=x,y"))).projects.map((p: any) => p.id)).toEqual([project.id]);
    expect((await call("PUT", base, { tags: ["a/b"] })).status).toBe(400);
    expect((await call("DELETE", `${base}/x`)).status).toBe(204);
    expect((await call("DELETE", `${base}/x`)).status).toBe(404);
    expect((await call("DELETE", base)).status).toBe(204);
    expect((await body(await call("GET", `/projects/${project.id}`))).project.tags).toEqual([]);
  });
});
