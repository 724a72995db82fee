import { eq } from "drizzle-orm";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBenchEdge, type BenchEdge } from "../../bench/edge.js";
import { hosts, servers } from "../../edge/src/db/schema.js";
import { LibvirtComputeDriver } from "../../host-daemon/src/drivers/compute/libvirt.js";
import { FakeNetworkDriver } from "../../host-daemon/src/drivers/network/fake.js";
import { FakeStorageDriver } from "../../host-daemon/src/drivers/storage/fake.js";
import { startHost } from "../../host-daemon/src/host.js";
import { FileServerRecords } from "../../host-daemon/src/server-records.js";

/**
 * Three real host daemons (libvirt test:///default, each with its own name prefix and state dir)
 * against one edge over the embedded broker: spread, anti-affinity, disabled services, a lost host.
 */
let b: BenchEdge;
let token = "";
let adminToken = "";
const run = crypto.randomUUID().slice(0, 6);
const names = ["a", "b", "c"].map((x) => `mh${run}-${x}`);
const daemons: Array<{ id: string; stop: () => Promise<void>; compute: LibvirtComputeDriver }> = [];

async function startOne(id: string) {
  const { secret } = await b.edge.enroll(id);
  const compute = new LibvirtComputeDriver({ uri: "test:///default", domainType: "test", namePrefix: `nimbus-${id}-` });
  const host = await startHost({
    hostId: id, secret, mqttUrl: b.edge.mqttUrl, protocolVersion: 4, stateDir: b.stateDir, heartbeatSeconds: 1, namePrefix: `nimbus-${id}-`, stopGraceSeconds: 1,
    compute, storage: new FakeStorageDriver(), network: new FakeNetworkDriver(), records: new FileServerRecords(join(b.stateDir, `host-${id}`, "servers")),
  });
  await host.registered;
  daemons.push({ id, compute, stop: async () => { await host.stop(); await compute.close(); } });
}

const api = (path: string, init: { method?: string; json?: unknown; token?: string } = {}) =>
  fetch(`${b.publicUrl}/compute/v2.1${path}`, {
    method: init.method ?? "GET", headers: { "X-Auth-Token": init.token ?? token, "Content-Type": "application/json" },
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });

async function login(user: string, password: string, project: string) {
  const res = await fetch(`${b.publicUrl}/identity/v3/auth/tokens`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ auth: { identity: { methods: ["password"], password: { user: { name: user, domain: { name: "Default" }, password } } }, scope: { project: { name: project, domain: { name: "Default" } } } } }),
  });
  return res.headers.get("X-Subject-Token")!;
}

async function boot(name: string, hints?: Record<string, unknown>) {
  const res = await api("/servers", { method: "POST", json: { server: { name, imageRef: b.imageId, flavorRef: "1", networks: "none" }, ...(hints ? { "os:scheduler_hints": hints } : {}) } });
  expect(res.status).toBe(202);
  return ((await res.json()) as { server: { id: string } }).server.id;
}

const status = async (id: string) => ((await (await api(`/servers/${id}`)).json()) as { server: { status: string } }).server.status;
const hostOf = async (id: string) => (await b.edge.db.select().from(servers).where(eq(servers.id, id)))[0].hostId;
async function bootActive(count: number, prefix: string, hints?: Record<string, unknown>) {
  const ids = [];
  for (let i = 0; i < count; i++) ids.push(await boot(`${prefix}${i}`, hints));
  for (const id of ids) await expect.poll(() => status(id), { timeout: 20_000, interval: 100 }).toBe("ACTIVE");
  return Promise.all(ids.map(hostOf));
}

beforeAll(async () => {
  b = await startBenchEdge();
  for (const n of names) await startOne(n);
  // Registration is ingested from the broker: wait until every host shows its capacity.
  for (let i = 0; i < 200 && (await b.edge.db.select().from(hosts)).filter((h) => h.vcpus > 0 && h.online).length < 3; i++) await new Promise((r) => setTimeout(r, 50));
  token = await login("demo", b.passwords.demo, "demo");
  adminToken = await login("admin", b.passwords.admin, "admin");
}, 60_000);

afterAll(async () => {
  for (const d of daemons) {
    for (const dom of await d.compute.list().catch(() => [])) await d.compute.destroy(dom.name).catch(() => undefined);
    await d.stop().catch(() => undefined);
  }
  await b?.edge.close();
  await b?.removeState();
});

describe("many hosts against one edge", () => {
  it("spreads servers over the hosts and keeps anti-affinity members apart", async () => {
    expect(new Set(await bootActive(3, "spread-")).size).toBe(3);
    const group = (await (await api("/os-server-groups", { method: "POST", json: { server_group: { name: "anti", policies: ["anti-affinity"] } } })).json()) as { server_group: { id: string } };
    expect(new Set(await bootActive(3, "anti-", { group: group.server_group.id })).size).toBe(3);
    const hv = (await (await api("/os-hypervisors/detail", { token: adminToken })).json()) as { hypervisors: Array<{ hypervisor_hostname: string; running_vms: number; vcpus_used: number; state: string }> };
    expect(hv.hypervisors.map((h) => [h.hypervisor_hostname, h.vcpus_used, h.state]).sort()).toEqual(names.map((n) => [n, 2, "up"]));
  }, 60_000);

  it("moves placement away from a disabled service", async () => {
    const res = await api("/os-services/disable", { method: "PUT", token: adminToken, json: { host: names[0], binary: "nova-compute" } });
    expect(res.status).toBe(200);
    const placed = await bootActive(2, "moved-");
    expect(placed).not.toContain(names[0]);
    await api("/os-services/enable", { method: "PUT", token: adminToken, json: { host: names[0], binary: "nova-compute" } });
  }, 60_000);

  it("shows a host whose daemon stopped as down, and places nothing there", async () => {
    const last = daemons.find((d) => d.id === names[2])!;
    await last.stop();
    const svcState = async () => ((await (await api(`/os-services?host=${names[2]}`, { token: adminToken })).json()) as { services: Array<{ state: string }> }).services[0]?.state;
    await expect.poll(svcState, { timeout: 10_000 }).toBe("down");
    expect(await bootActive(1, "after-")).not.toContain(names[2]);
  }, 60_000);
});

describe("evacuate", () => {
  it("rebuilds a server of the down host elsewhere, keeping anti-affinity", async () => {
    const onDown = await b.edge.db.select().from(servers).where(eq(servers.hostId, names[2]));
    const spread = onDown.find((s) => s.name.startsWith("spread-"))!;
    const anti = onDown.find((s) => s.name.startsWith("anti-"))!;
    const onUp = (await b.edge.db.select().from(servers).where(eq(servers.hostId, names[0])))[0];
    // The host died with its guests (the in-memory test driver is shared by the daemons of this process).
    const dead = daemons.find((d) => d.id === names[2])!.compute;
    for (const dom of await dead.list()) await dead.destroy(dom.name);
    const evacuate = (id: string, t = adminToken) => api(`/servers/${id}/action`, { method: "POST", token: t, json: { evacuate: { onSharedStorage: false } } });
    expect((await evacuate(spread.id, token)).status).toBe(403);
    expect((await evacuate(onUp.id)).status).toBe(409); // its host is up
    expect((await evacuate(anti.id)).status).toBe(400); // every other host has a member of its anti-affinity group
    const res = await evacuate(spread.id);
    expect(res.status).toBe(200);
    expect(typeof ((await res.json()) as { adminPass: string }).adminPass).toBe("string");
    await expect.poll(() => status(spread.id), { timeout: 20_000, interval: 100 }).toBe("ACTIVE");
    const now = await hostOf(spread.id);
    expect([names[0], names[1]]).toContain(now);
    const domains = await daemons.find((d) => d.id === now)!.compute.list();
    expect(domains.map((d) => d.name).some((n) => n.includes(spread.id))).toBe(true);
  }, 60_000);
});
