import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hosts, servers } from "../../edge/src/db/schema.js";
import { makeApi, type Api } from "./harness.js";

let api: Api;
let alice: string, rita: string, bob: string, admin: string;
let imageId: string;

beforeAll(async () => {
  api = await makeApi();
  [alice, rita, bob, admin] = await Promise.all([
    api.login("alice", "alicepw", "demo"), api.login("rita", "ritapw", "demo"), api.login("bob", "bobpw", "other"), api.login("admin", "adminpw", "admin"),
  ]);
  imageId = await api.publicImage();
});
afterAll(() => api.cleanup());

const nova = (path: string, token: string, init: { method?: string; json?: unknown; version?: string } = {}) =>
  api.request(`/compute/v2.1${path}`, { method: init.method, json: init.json, token, headers: init.version ? { "OpenStack-API-Version": `compute ${init.version}` } : {} });
const body = async (res: Response) => ({ status: res.status, json: res.status === 204 || res.headers.get("content-length") === "0" ? null : await res.json().catch(() => null) });
const boot = (token: string, server: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  nova("/servers", token, { method: "POST", json: { server: { name: "s", imageRef: imageId, flavorRef: "1", networks: "none", ...server }, ...extra } });
const hostOf = async (id: string) => (await api.db.select().from(servers).where(eq(servers.id, id)))[0].hostId;
const setQuota = (project: string, set: Record<string, number>) => nova(`/os-quota-sets/${project}`, admin, { method: "PUT", json: { quota_set: set } });
const dropServers = () => api.db.delete(servers);
const dropHosts = () => api.db.delete(hosts);

describe("quotas and limits", () => {
  it("shows defaults, lets only admins update, and enforces instances on create with Nova's 403", async () => {
    const shown = await body(await nova(`/os-quota-sets/${api.projects.demo}`, rita));
    expect(shown.json.quota_set).toMatchObject({ id: api.projects.demo, instances: 10, cores: 20, ram: 51200, key_pairs: 100 });
    expect((await nova(`/os-quota-sets/${api.projects.demo}`, bob)).status).toBe(403);
    expect((await nova(`/os-quota-sets/${api.projects.demo}`, alice, { method: "PUT", json: { quota_set: { instances: 5 } } })).status).toBe(403);
    expect((await setQuota(api.projects.demo, { instances: 1 })).status).toBe(200);
    await api.addHost("host-q");
    expect((await boot(alice, {})).status).toBe(202);
    const refused = await body(await boot(alice, {}));
    expect(refused.status).toBe(403);
    expect(refused.json.forbidden.message).toBe("Quota exceeded for instances: Requested 1, but already used 1 of 1 instances");
    const limits = (await body(await nova("/limits", alice))).json.limits.absolute;
    expect(limits).toMatchObject({ maxTotalInstances: 1, totalInstancesUsed: 1, totalCoresUsed: 1, totalRAMUsed: 512, maxTotalKeypairs: 100, maxServerGroups: 10 });
    const detail = (await body(await nova(`/os-quota-sets/${api.projects.demo}/detail`, alice))).json.quota_set;
    expect(detail.instances).toEqual({ limit: 1, in_use: 1, reserved: 0 });
    expect((await setQuota(api.projects.demo, { instances: 0 })).status).toBe(400); // below usage without force
    expect((await nova(`/os-quota-sets/${api.projects.demo}`, admin, { method: "DELETE" })).status).toBe(202);
    expect((await body(await nova(`/os-quota-sets/${api.projects.demo}`, alice))).json.quota_set.instances).toBe(10);
    await dropServers();
    await dropHosts();
  });

  it("refuses a multi-create whose min_count does not fit and trims max_count to what does", async () => {
    await api.addHost("host-m");
    await setQuota(api.projects.other, { instances: 3 });
    expect((await boot(bob, { min_count: 4, max_count: 4 })).status).toBe(403);
    expect((await boot(bob, { min_count: 1, max_count: 5 })).status).toBe(202);
    expect((await api.db.select().from(servers).where(eq(servers.projectId, api.projects.other))).length).toBe(3);
    await dropServers();
    await dropHosts();
  });

  it("keeps the default quota class and its updates", async () => {
    const cls = await body(await nova("/os-quota-class-sets/default", admin, { method: "PUT", json: { quota_class_set: { metadata_items: 2 } } }));
    expect(cls.json.quota_class_set.metadata_items).toBe(2);
    expect((await body(await nova(`/os-quota-sets/${api.projects.demo}/defaults`, alice))).json.quota_set.metadata_items).toBe(2);
    await api.addHost("host-meta");
    const over = await body(await boot(alice, { metadata: { a: "1", b: "2", c: "3" } }));
    expect(over.status).toBe(403);
    expect(over.json.forbidden.message).toMatch(/metadata_items/);
    await nova("/os-quota-class-sets/default", admin, { method: "PUT", json: { quota_class_set: { metadata_items: 128 } } });
    await dropHosts();
  });
});

describe("concurrent creates", () => {
  it("never overcommits beyond the allocation ratios under 50 simultaneous creates", async () => {
    await setQuota(api.projects.demo, { instances: -1, cores: -1, ram: -1 });
    await api.addHost("host-c1");
    await api.addHost("host-c2");
    // Each host: 4 vCPUs x ratio 4 = 16 one-vCPU instances, 8192 MB = 16 of 512 MB: 32 in all.
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => boot(alice, { name: `c${i}` })));
    expect(results.every((r) => r.status === 202)).toBe(true);
    const rows = await api.db.select().from(servers);
    const perHost = new Map<string, number>();
    for (const r of rows) if (r.hostId) perHost.set(r.hostId, (perHost.get(r.hostId) ?? 0) + r.vcpus);
    expect([...perHost.values()].every((v) => v <= 16)).toBe(true);
    expect(rows.filter((r) => r.hostId).length).toBe(32);
    expect(rows.filter((r) => r.vmState === "error").length).toBe(18);
    await dropServers();
    await dropHosts();
    await nova(`/os-quota-sets/${api.projects.demo}`, admin, { method: "DELETE" });
  }, 60_000);
});

describe("flavor management", () => {
  it("creates a private flavor that only projects with access see and boot", async () => {
    expect((await nova("/flavors", alice, { method: "POST", json: { flavor: { name: "x", ram: 1, vcpus: 1, disk: 0 } } })).status).toBe(403);
    const created = await body(await nova("/flavors", admin, { method: "POST", json: { flavor: { name: "p1", id: "p1", ram: 256, vcpus: 1, disk: 1, "os-flavor-access:is_public": false } } }));
    expect(created.status).toBe(200);
    expect(created.json.flavor).toMatchObject({ id: "p1", ram: 256, "os-flavor-access:is_public": false });
    expect((await nova("/flavors", admin, { method: "POST", json: { flavor: { name: "p1", ram: 1, vcpus: 1, disk: 0 } } })).status).toBe(409);
    expect((await nova("/flavors/p1", alice)).status).toBe(404);
    await api.addHost("host-f");
    expect((await boot(alice, { flavorRef: "p1" })).status).toBe(400);
    const added = await body(await nova("/flavors/p1/action", admin, { method: "POST", json: { addTenantAccess: { tenant: api.projects.demo } } }));
    expect(added.json.flavor_access).toEqual([{ flavor_id: "p1", tenant_id: api.projects.demo }]);
    expect((await nova("/flavors/p1/action", admin, { method: "POST", json: { addTenantAccess: { tenant: api.projects.demo } } })).status).toBe(409);
    expect((await nova("/flavors/p1", alice)).status).toBe(200);
    const listed = (await body(await nova("/flavors", alice))).json.flavors.map((f: { id: string }) => f.id);
    expect(listed).toContain("p1");
    expect((await body(await nova("/flavors", bob))).json.flavors.map((f: { id: string }) => f.id)).not.toContain("p1");
    expect((await boot(alice, { flavorRef: "p1" })).status).toBe(202);
    await nova("/flavors/p1/action", admin, { method: "POST", json: { removeTenantAccess: { tenant: api.projects.demo } } });
    expect((await nova("/flavors/p1", alice)).status).toBe(404);
    expect((await nova("/flavors/p1", admin, { method: "DELETE" })).status).toBe(202);
    expect((await nova("/flavors/p1", admin)).status).toBe(404);
    await dropServers();
    await dropHosts();
  });

  it("sets, shows, updates and unsets extra specs (admin only)", async () => {
    expect((await nova("/flavors/1/os-extra_specs", alice, { method: "POST", json: { extra_specs: { a: "1" } } })).status).toBe(403);
    const set = await body(await nova("/flavors/1/os-extra_specs", admin, { method: "POST", json: { extra_specs: { "hw:cpu_policy": "shared", ssd: true } } }));
    expect(set.json.extra_specs).toEqual({ "hw:cpu_policy": "shared", ssd: "true" });
    expect((await body(await nova("/flavors/1/os-extra_specs", alice))).json.extra_specs).toEqual({ "hw:cpu_policy": "shared", ssd: "true" });
    expect((await body(await nova("/flavors/1/os-extra_specs/ssd", alice))).json).toEqual({ ssd: "true" });
    expect((await nova("/flavors/1/os-extra_specs/ssd", admin, { method: "PUT", json: { other: "x" } })).status).toBe(400);
    expect((await body(await nova("/flavors/1/os-extra_specs/ssd", admin, { method: "PUT", json: { ssd: "false" } }))).json).toEqual({ ssd: "false" });
    expect((await nova("/flavors/1/os-extra_specs/ssd", admin, { method: "DELETE" })).status).toBe(200);
    expect((await nova("/flavors/1/os-extra_specs/ssd", alice)).status).toBe(404);
    await nova("/flavors/1/os-extra_specs/hw:cpu_policy", admin, { method: "DELETE" });
  });
});

describe("server groups, zones and placement across hosts", () => {
  it("puts anti-affinity members on different hosts and affinity members together", async () => {
    await api.addHost("host-g1");
    await api.addHost("host-g2");
    const anti = (await body(await nova("/os-server-groups", alice, { method: "POST", json: { server_group: { name: "anti", policies: ["anti-affinity"] } } }))).json.server_group;
    expect(anti).toMatchObject({ name: "anti", policies: ["anti-affinity"], members: [], metadata: {} });
    const hint = { "os:scheduler_hints": { group: anti.id } };
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await body(await boot(alice, { name: `a${i}` }, hint))).json.server.id);
    const placed = await Promise.all(ids.map(hostOf));
    expect(new Set(placed.slice(0, 2)).size).toBe(2);
    expect(placed[2]).toBeNull(); // a third member has nowhere to go
    expect((await body(await nova(`/os-server-groups/${anti.id}`, alice))).json.server_group.members.sort()).toEqual([...ids].sort());
    expect((await nova(`/os-server-groups/${anti.id}`, bob)).status).toBe(404);

    const aff = (await body(await nova("/os-server-groups", alice, { method: "POST", json: { server_group: { name: "aff", policies: ["affinity"] } } }))).json.server_group;
    const a1 = (await body(await boot(alice, { name: "f1" }, { "os:scheduler_hints": { group: aff.id } }))).json.server.id;
    const a2 = (await body(await boot(alice, { name: "f2" }, { "os:scheduler_hints": { group: aff.id } }))).json.server.id;
    expect(await hostOf(a2)).toBe(await hostOf(a1));
    expect((await nova("/os-server-groups", alice, { method: "POST", json: { server_group: { name: "x", policies: ["affinity", "anti-affinity"] } } })).status).toBe(400);
    expect((await body(await nova("/os-server-groups", alice))).json.server_groups.length).toBe(2);
    expect((await nova(`/os-server-groups/${aff.id}`, alice, { method: "DELETE" })).status).toBe(204);
    await dropServers();
    await dropHosts();
  });

  it("creates aggregates with zones and places servers asking for a zone there", async () => {
    await api.addHost("host-z1");
    await api.addHost("host-z2");
    expect((await nova("/os-aggregates", alice)).status).toBe(403);
    const agg = await body(await nova("/os-aggregates", admin, { method: "POST", json: { aggregate: { name: "rack1", availability_zone: "az1" } } }));
    expect(agg.status).toBe(200);
    expect(Object.keys(agg.json.aggregate).sort()).toEqual(["availability_zone", "created_at", "deleted", "deleted_at", "id", "name", "updated_at"]);
    const id = agg.json.aggregate.id;
    const withHost = await body(await nova(`/os-aggregates/${id}/action`, admin, { method: "POST", json: { add_host: { host: "host-z2" } } }));
    expect(withHost.json.aggregate).toMatchObject({ hosts: ["host-z2"], availability_zone: "az1", metadata: { availability_zone: "az1" } });
    expect((await nova(`/os-aggregates/${id}/action`, admin, { method: "POST", json: { add_host: { host: "nope" } } })).status).toBe(404);
    const zones = (await body(await nova("/os-availability-zone", alice))).json.availabilityZoneInfo.map((z: { zoneName: string }) => z.zoneName).sort();
    expect(zones).toEqual(["az1", "nova"]);
    const detail = (await body(await nova("/os-availability-zone/detail", admin))).json.availabilityZoneInfo.find((z: { zoneName: string }) => z.zoneName === "az1");
    expect(Object.keys(detail.hosts)).toEqual(["host-z2"]);
    expect((await nova("/os-availability-zone/detail", alice)).status).toBe(403);

    expect((await boot(alice, { availability_zone: "nowhere" })).status).toBe(400);
    const s = (await body(await boot(alice, { availability_zone: "az1" }))).json.server.id;
    expect(await hostOf(s)).toBe("host-z2");
    expect((await body(await nova(`/servers/${s}`, alice))).json.server["OS-EXT-AZ:availability_zone"]).toBe("az1");
    const plain = (await body(await boot(alice, {}))).json.server.id;
    expect((await body(await nova(`/servers/${plain}`, alice))).json.server["OS-EXT-AZ:availability_zone"]).toBe("nova");

    // Flavor extra specs must match the aggregate's metadata.
    await nova(`/os-aggregates/${id}/action`, admin, { method: "POST", json: { set_metadata: { metadata: { ssd: "true" } } } });
    await nova("/flavors", admin, { method: "POST", json: { flavor: { name: "ssd", id: "ssd", ram: 256, vcpus: 1, disk: 1 } } });
    await nova("/flavors/ssd/os-extra_specs", admin, { method: "POST", json: { extra_specs: { "aggregate_instance_extra_specs:ssd": "true" } } });
    const fast = (await body(await boot(alice, { flavorRef: "ssd" }))).json.server.id;
    expect(await hostOf(fast)).toBe("host-z2");
    // A non-admin may not force a host; an admin may.
    expect((await boot(alice, { availability_zone: "nova:host-z1" })).status).toBe(403);
    const forced = (await body(await boot(admin, { availability_zone: "nova:host-z1" }))).json.server.id;
    expect(await hostOf(forced)).toBe("host-z1");

    expect((await nova(`/os-aggregates/${id}`, admin, { method: "DELETE" })).status).toBe(400); // still has a host
    await nova(`/os-aggregates/${id}/action`, admin, { method: "POST", json: { remove_host: { host: "host-z2" } } });
    expect((await nova(`/os-aggregates/${id}`, admin, { method: "DELETE" })).status).toBe(200);
    await nova("/flavors/ssd", admin, { method: "DELETE" });
    await dropServers();
    await dropHosts();
  });

  it("disables a service so placement moves away, and reports hypervisors with state and usage", async () => {
    await api.addHost("host-s1");
    await api.addHost("host-s2");
    expect((await nova("/os-services", alice)).status).toBe(403);
    const off = await body(await nova("/os-services/disable-log-reason", admin, { method: "PUT", json: { host: "host-s1", binary: "nova-compute", disabled_reason: "maintenance" } }));
    expect(off.json.service).toEqual({ host: "host-s1", binary: "nova-compute", status: "disabled", disabled_reason: "maintenance" });
    for (let i = 0; i < 3; i++) expect(await hostOf((await body(await boot(alice, { name: `d${i}` }))).json.server.id)).toBe("host-s2");
    const svc = (await body(await nova("/os-services?host=host-s1", admin))).json.services;
    expect(svc).toEqual([expect.objectContaining({ binary: "nova-compute", host: "host-s1", status: "disabled", state: "up", zone: "nova", disabled_reason: "maintenance" })]);
    await nova("/os-services/enable", admin, { method: "PUT", json: { host: "host-s1", binary: "nova-compute" } });
    expect(await hostOf((await body(await boot(alice, { name: "e" }))).json.server.id)).toBe("host-s1");

    // A host silent for more than 30 s is down.
    await api.db.update(hosts).set({ lastSeenAt: new Date(Date.now() - 31_000).toISOString() }).where(eq(hosts.id, "host-s2"));
    const hv = (await body(await nova("/os-hypervisors/detail", admin))).json.hypervisors;
    const s2 = hv.find((h: { hypervisor_hostname: string }) => h.hypervisor_hostname === "host-s2");
    expect(s2).toMatchObject({ state: "down", status: "enabled", vcpus: 4, vcpus_used: 3, memory_mb: 8192, memory_mb_used: 1536, free_ram_mb: 8192 - 1536, service: { host: "host-s2" } });
    const stats = (await body(await nova("/os-hypervisors/statistics", admin))).json.hypervisor_statistics;
    expect(stats).toMatchObject({ count: 2, vcpus: 8, vcpus_used: 4, memory_mb: 16384 });
    expect((await nova(`/os-hypervisors/${s2.id}`, admin)).status).toBe(200);
    expect((await nova("/os-hypervisors", alice)).status).toBe(403);
    await dropServers();
    await dropHosts();
  });
});

describe("host_status", () => {
  it("shows admins UP, MAINTENANCE and DOWN from 2.16, and nobody else", async () => {
    await api.addHost("host-hs");
    const id = (await body(await boot(alice, {}))).json.server.id;
    const status = async (token: string, version?: string) => {
      const res = await api.request(`/compute/v2.1/servers/${id}`, { token, headers: version ? { "X-OpenStack-Nova-API-Version": version } : {} });
      const j = (await res.json()) as { server: Record<string, unknown> };
      if (!j.server) throw new Error(JSON.stringify(j));
      return j.server.host_status;
    };
    expect(await status(admin)).toBeUndefined();
    expect(await status(alice, "2.16")).toBeUndefined();
    expect(await status(admin, "2.16")).toBe("UP");
    await nova("/os-services/disable", admin, { method: "PUT", json: { host: "host-hs", binary: "nova-compute" } });
    expect(await status(admin, "2.16")).toBe("MAINTENANCE");
    await api.db.update(hosts).set({ lastSeenAt: new Date(Date.now() - 31_000).toISOString() }).where(eq(hosts.id, "host-hs"));
    expect(await status(admin, "2.16")).toBe("DOWN");
    const listed = (await body(await api.request("/compute/v2.1/servers/detail?all_tenants=1", { token: admin, headers: { "OpenStack-API-Version": "compute 2.16" } }))).json.servers;
    expect(listed.find((s: { id: string }) => s.id === id).host_status).toBe("DOWN");
    await dropServers();
    await dropHosts();
  });
});

describe("server group member quota", () => {
  it("counts only live members against server_group_members", async () => {
    await api.addHost("host-gm");
    await setQuota(api.projects.demo, { server_group_members: 1 });
    const g = (await body(await nova("/os-server-groups", alice, { method: "POST", json: { server_group: { name: "q", policies: ["soft-affinity"] } }, version: "2.15" }))).json.server_group;
    const hint = { "os:scheduler_hints": { group: g.id } };
    const first = (await body(await boot(alice, {}, hint))).json.server.id;
    const refused = await body(await boot(alice, {}, hint));
    expect(refused.status).toBe(403);
    expect(refused.json.forbidden.message).toBe("Quota exceeded, too many servers in group");
    await api.db.update(servers).set({ deletedAt: new Date().toISOString() }).where(eq(servers.id, first));
    expect((await boot(alice, {}, hint)).status).toBe(202);
    expect((await boot(alice, {}, { "os:scheduler_hints": { group: crypto.randomUUID() } })).status).toBe(400);
    await nova(`/os-quota-sets/${api.projects.demo}`, admin, { method: "DELETE" });
    await dropServers();
    await dropHosts();
  });
});

describe("key pair quota", () => {
  it("refuses a key pair beyond key_pairs with Nova's 403", async () => {
    await setQuota(api.projects.demo, { key_pairs: 1 });
    expect((await nova("/os-keypairs", alice, { method: "POST", json: { keypair: { name: "k1" } } })).status).toBe(200);
    const refused = await body(await nova("/os-keypairs", alice, { method: "POST", json: { keypair: { name: "k2" } } }));
    expect(refused.status).toBe(403);
    expect(refused.json.forbidden.message).toBe("Quota exceeded, too many key pairs.");
    expect((await body(await nova("/limits", alice))).json.limits.absolute.maxTotalKeypairs).toBe(1);
    await nova("/os-keypairs/k1", alice, { method: "DELETE" });
    await nova(`/os-quota-sets/${api.projects.demo}`, admin, { method: "DELETE" });
  });
});

describe("microversioned shapes", () => {
  it("lists services with forced_down from 2.11 and forces them down only from 2.11", async () => {
    await api.addHost("host-mv");
    const list = async (version?: string) => (await body(await nova("/os-services?host=host-mv", admin, { version }))).json.services[0];
    expect(Object.keys(await list())).not.toContain("forced_down");
    expect(await list("2.11")).toMatchObject({ host: "host-mv", state: "up", forced_down: false });
    const force = (version?: string) => nova("/os-services/force-down", admin, { method: "PUT", json: { host: "host-mv", binary: "nova-compute", forced_down: true }, version });
    expect((await force()).status).toBe(404);
    const forced = await body(await force("2.11"));
    expect(forced.json).toEqual({ service: { host: "host-mv", binary: "nova-compute", forced_down: true } });
    expect(await list("2.11")).toMatchObject({ state: "down", forced_down: true });
    await dropHosts();
  });

  it("shows server group owners from 2.13 and accepts soft policies only from 2.15", async () => {
    const create = async (policy: string, version?: string) => body(await nova("/os-server-groups", alice, { method: "POST", json: { server_group: { name: "g", policies: [policy] } }, version }));
    expect((await create("soft-affinity")).status).toBe(400);
    expect((await create("soft-anti-affinity", "2.14")).status).toBe(400);
    const soft = (await create("soft-anti-affinity", "2.15")).json.server_group;
    expect(soft).toMatchObject({ policies: ["soft-anti-affinity"], project_id: api.projects.demo, user_id: expect.any(String) });
    const plain = (await create("affinity")).json.server_group;
    expect(Object.keys(plain).sort()).toEqual(["id", "members", "metadata", "name", "policies"]);
    expect((await body(await nova(`/os-server-groups/${plain.id}`, alice, { version: "2.13" }))).json.server_group).toMatchObject({ project_id: api.projects.demo });
    expect(Object.keys((await body(await nova(`/os-server-groups/${plain.id}`, alice, { version: "2.12" }))).json.server_group)).not.toContain("project_id");
    const listed = (await body(await nova("/os-server-groups", alice, { version: "2.13" }))).json.server_groups;
    expect(listed.every((g: { user_id?: string }) => typeof g.user_id === "string")).toBe(true);
    expect((await nova("/os-server-groups", alice, { method: "POST", json: { server_group: { name: "p", policy: "affinity" } }, version: "2.26" })).status).toBe(400);
    for (const g of [soft, plain]) await nova(`/os-server-groups/${g.id}`, alice, { method: "DELETE" });
  });

  it("adds access to a public flavor before 2.7 and refuses it with 409 from 2.7", async () => {
    await nova("/flavors", admin, { method: "POST", json: { flavor: { name: "pub", id: "pub", ram: 64, vcpus: 1, disk: 0 } } });
    const add = (version?: string) => nova("/flavors/pub/action", admin, { method: "POST", json: { addTenantAccess: { tenant: api.projects.demo } }, version });
    expect((await add("2.7")).status).toBe(409);
    const added = await body(await add("2.6"));
    expect(added.status).toBe(200);
    expect(added.json.flavor_access).toEqual([{ flavor_id: "pub", tenant_id: api.projects.demo }]);
    expect((await nova("/flavors/pub", admin, { method: "DELETE" })).status).toBe(202);
  });
});
