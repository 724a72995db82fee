import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INTERFACES, SEEDED_REGION, SEEDED_SERVICES, stableId } from "../../edge/src/identity/catalog.js";
import { BASE, makeApi, type Api } from "./harness.js";

/** The catalog API (regions, services, endpoints) and the token's catalog built from it. */
let api: Api;
let adminToken = "";
const V3 = `${BASE}/identity/v3`;

const call = (method: string, path: string, json?: unknown, token = adminToken) => api.request(`/identity/v3${path}`, { method, token, json });
const body = async (res: Response) => res.json() as Promise<Record<string, any>>;
const tokenCatalog = async () => (await body(await call("GET", "/auth/catalog"))).catalog as Array<Record<string, any>>;

beforeAll(async () => {
  api = await makeApi();
  adminToken = await api.login("admin", "adminpw", "admin");
});
afterAll(() => api.cleanup());

describe("seeded catalog", () => {
  it("is the layout catalog.ts describes, with the ids clients saw before it had tables", async () => {
    const catalog = await tokenCatalog();
    const expected = SEEDED_SERVICES.map((s) => ({
      type: s.type, name: s.name, id: stableId(`${s.type}svc`),
      endpoints: INTERFACES.map((i) => ({ id: stableId(`${s.type}${i}`), interface: i, region: SEEDED_REGION, region_id: SEEDED_REGION, url: `${BASE}${s.path}` })),
    }));
    expect([...catalog].sort((a, b) => a.type.localeCompare(b.type))).toEqual([...expected].sort((a, b) => a.type.localeCompare(b.type)));
    const listed = (await body(await call("GET", `/endpoints?service_id=${stableId("computesvc")}&interface=public`))).endpoints;
    expect(listed).toEqual([{
      id: stableId("computepublic"), service_id: stableId("computesvc"), interface: "public", url: `${BASE}/compute/v2.1`,
      region: SEEDED_REGION, region_id: SEEDED_REGION, enabled: true, links: { self: `${V3}/endpoints/${stableId("computepublic")}` },
    }]);
  });
});

describe("catalog API", () => {
  it("adds a service whose endpoints reach the token, with the project filled in", async () => {
    const res = await call("POST", "/services", { service: { type: "object-store", name: "swift", description: "objects" } });
    expect(res.status).toBe(201);
    const { service } = await body(res);
    expect(service).toEqual({ id: service.id, type: "object-store", name: "swift", description: "objects", enabled: true, links: { self: `${V3}/services/${service.id}` } });
    expect((await tokenCatalog()).some((s) => s.id === service.id)).toBe(false); // no endpoint yet

    const ep = await call("POST", "/endpoints", { endpoint: { service_id: service.id, interface: "public", url: "https://objects.example/v1/AUTH_$(project_id)s", region: "RegionTwo" } });
    expect(ep.status).toBe(201);
    const { endpoint } = await body(ep);
    expect(endpoint).toMatchObject({ region: "RegionTwo", region_id: "RegionTwo", url: "https://objects.example/v1/AUTH_$(project_id)s" });
    expect((await call("GET", "/regions/RegionTwo")).status).toBe(200);
    const entry = (await tokenCatalog()).find((s) => s.id === service.id)!;
    expect(entry.endpoints).toEqual([{ id: endpoint.id, interface: "public", region: "RegionTwo", region_id: "RegionTwo", url: `https://objects.example/v1/AUTH_${api.projects.admin}` }]);

    expect((await call("PATCH", `/endpoints/${endpoint.id}`, { endpoint: { enabled: "False" } })).status).toBe(400);
    expect((await body(await call("PATCH", `/endpoints/${endpoint.id}`, { endpoint: { enabled: false } }))).endpoint.enabled).toBe(false);
    expect((await tokenCatalog()).some((s) => s.id === service.id)).toBe(false);
    expect((await call("DELETE", "/regions/RegionTwo")).status).toBe(409);

    expect((await body(await call("GET", "/services?type=object-store"))).services.map((s: any) => s.id)).toEqual([service.id]);
    expect((await call("DELETE", `/services/${service.id}`)).status).toBe(204);
    expect((await call("GET", `/endpoints/${endpoint.id}`)).status).toBe(404);
    expect((await call("DELETE", "/regions/RegionTwo")).status).toBe(204);
  });

  it("nests regions, refuses loops, and creates them with a chosen id", async () => {
    const parent = (await body(await call("PUT", "/regions/north", { region: { description: "North" } }))).region;
    expect(parent).toEqual({ id: "north", description: "North", parent_region_id: null, links: { self: `${V3}/regions/north` } });
    expect((await call("PUT", "/regions/north", { region: {} })).status).toBe(409);
    const child = (await body(await call("POST", "/regions", { region: { parent_region_id: "north" } }))).region;
    expect((await body(await call("GET", "/regions?parent_region_id=north"))).regions).toEqual([child]);
    expect((await call("PATCH", "/regions/north", { region: { parent_region_id: child.id } })).status).toBe(400);
    expect((await call("POST", "/regions", { region: { parent_region_id: "nowhere" } })).status).toBe(404);
    expect((await call("DELETE", "/regions/north")).status).toBe(409);
    expect((await call("DELETE", `/regions/${child.id}`)).status).toBe(204);
    expect((await call("DELETE", "/regions/north")).status).toBe(204);
  });

  it("is for admins only", async () => {
    const alice = await api.login("alice", "alicepw", "demo");
    for (const path of ["/regions", "/services", "/endpoints"]) expect((await call("GET", path, undefined, alice)).status).toBe(403);
    expect((await call("GET", "/auth/catalog", undefined, alice)).status).toBe(200);
  });
});
