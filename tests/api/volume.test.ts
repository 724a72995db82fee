import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEnvelope } from "../../shared/src/index.js";
import { ingest } from "../../edge/src/bus/ingest.js";
import { images, servers } from "../../edge/src/db/schema.js";
import { seedVolumeCatalog } from "../../edge/src/volume/catalog-seed.js";
import { BASE, makeApi, type Api } from "./harness.js";

let api: Api;
let alice: string, rita: string, bob: string, admin: string;
let demo: string;

beforeAll(async () => {
  api = await makeApi();
  await seedVolumeCatalog(api.db);
  [alice, rita, bob, admin] = await Promise.all([
    api.login("alice", "alicepw", "demo"), api.login("rita", "ritapw", "demo"), api.login("bob", "bobpw", "other"), api.login("admin", "adminpw", "admin"),
  ]);
  demo = api.projects.demo;
  // Room for every test here (servers included); the quota test lowers it on purpose.
  await api.unlimitedCompute(demo);
  await api.request(`/volume/v3/${demo}/os-quota-sets/${demo}`, { method: "PUT", token: admin, json: { quota_set: { volumes: 1000 } } });
});
afterAll(() => api.cleanup());

const V = () => `/volume/v3/${demo}`;
const call = (method: string, path: string, token: string, json?: unknown, headers?: Record<string, string>) => api.request(`${V()}${path}`, { method, token, json, headers });
const body = async (res: Response) => (await res.json()) as Record<string, any>;
const hostEvent = (type: Parameters<typeof makeEnvelope>[0], payload: unknown, host = "host-a") =>
  ingest({ db: api.db, bus: api.bus, apiBase: BASE }, host, "events", makeEnvelope(type, payload));
/** The last command of `type` the API cast. */
const lastSent = (type: string) => [...api.bus.sent].reverse().find((m) => m.type === type)!;
const pool = (host: string, backend = "dir") => hostEvent("volume.inventory", { backend, totalGb: 50, freeGb: 40, volumes: [], snapshots: [] }, host);

/** Creates a volume and lets its host report it available. */
async function makeVolume(extra: Record<string, unknown> = {}, token = alice) {
  const res = await call("POST", "/volumes", token, { volume: { size: 1, ...extra } });
  expect(res.status, JSON.stringify(await res.clone().json())).toBe(202);
  const v = (await body(res)).volume;
  const cmd = lastSent("volume.create");
  expect((cmd.payload as { volumeId: string }).volumeId).toBe(v.id);
  await hostEvent("volume.state", { volumeId: v.id, commandId: cmd.id, status: "available", sizeGb: v.size }, cmd.hostId);
  return v as Record<string, any>;
}
const show = async (id: string, token = alice) => (await body(await call("GET", `/volumes/${id}`, token))).volume;

describe("discovery and catalog", () => {
  it("answers the versions document at /volume/ (300) and /volume/v3 (200) with an honest max", async () => {
    const root = await api.request("/volume/");
    expect(root.status).toBe(300);
    const v = (await body(root)).versions[0];
    expect(v).toMatchObject({ id: "v3.0", status: "CURRENT", version: "3.0", min_version: "3.0" });
    expect((await api.request("/volume/v3")).status).toBe(200);
  });

  it("negotiates OpenStack-API-Version and refuses versions above its max", async () => {
    const ok = await call("GET", "/volumes", alice, undefined, { "OpenStack-API-Version": "volume 3.0" });
    expect(ok.headers.get("OpenStack-API-Version")).toBe("volume 3.0");
    const latest = await call("GET", "/volumes", alice, undefined, { "OpenStack-API-Version": "volume latest" });
    expect(latest.status).toBe(200);
    const tooNew = await call("GET", "/volumes", alice, undefined, { "OpenStack-API-Version": "volume 3.70" });
    expect(tooNew.status).toBe(404);
    expect((await body(tooNew)).itemNotFound.message).toMatch(/3\.70 is not supported/);
  });

  it("lists volumev3 and block-storage endpoints with the project id in the token's catalog", async () => {
    const catalog = (await body(await api.request("/identity/v3/auth/catalog", { token: alice }))).catalog as Array<{ type: string; endpoints: Array<{ url: string; interface: string }> }>;
    for (const type of ["volumev3", "block-storage"]) {
      const svc = catalog.find((s) => s.type === type)!;
      expect(svc.endpoints.map((e) => e.interface).sort()).toEqual(["admin", "internal", "public"]);
      expect(svc.endpoints[0]!.url).toBe(`${BASE}/volume/v3/${demo}`);
    }
  });
});

describe("volumes", () => {
  it("puts a volume in error with a reason when no pool is up", async () => {
    const res = await call("POST", "/volumes", alice, { volume: { size: 1, name: "nowhere" } });
    expect(res.status).toBe(202);
    const v = await show((await body(res)).volume.id);
    expect(v.status).toBe("error");
    expect(api.bus.sent.some((m) => m.type === "volume.create")).toBe(false);
  });

  it("creates on a host pool, becomes available only on the answer to its own command", async () => {
    await api.addHost("host-a");
    await pool("host-a");
    const res = await call("POST", "/volumes", alice, { volume: { size: 2, name: "data", metadata: { k: "v" } } });
    const created = (await body(res)).volume;
    expect(created).toMatchObject({ status: "creating", size: 2, name: "data", bootable: "false", metadata: { k: "v" }, volume_type: "__DEFAULT__" });
    expect(created).not.toHaveProperty("os-vol-host-attr:host");
    const cmd = lastSent("volume.create");
    expect(cmd).toMatchObject({ hostId: "host-a", payload: { volumeId: created.id, sizeGb: 2, source: { kind: "empty" } } });
    await hostEvent("volume.state", { volumeId: created.id, commandId: crypto.randomUUID(), status: "available" });
    expect((await show(created.id)).status).toBe("creating");
    await hostEvent("volume.state", { volumeId: created.id, commandId: cmd.id, status: "available" });
    expect((await show(created.id)).status).toBe("available");
    const asAdmin = await show(created.id, admin);
    expect(asAdmin["os-vol-host-attr:host"]).toBe("host-a@dir#dir");
  });

  it("reports a host failure as error with the reason", async () => {
    const res = await call("POST", "/volumes", alice, { volume: { size: 1 } });
    const v = (await body(res)).volume;
    const cmd = lastSent("volume.create");
    await hostEvent("volume.state", { volumeId: v.id, commandId: cmd.id, status: "error", error: "qemu-img failed" });
    expect((await show(v.id)).status).toBe("error");
  });

  it("validates input with Cinder's error bodies", async () => {
    for (const bad of [{ size: 0 }, { size: -1 }, { size: "abc" }, {}]) {
      const res = await call("POST", "/volumes", alice, { volume: bad });
      expect(res.status).toBe(400);
      expect(await body(res)).toHaveProperty("badRequest.code", 400);
    }
    expect((await call("POST", "/volumes", alice, { volume: { size: 1, snapshot_id: crypto.randomUUID() } })).status).toBe(404);
    expect((await call("POST", "/volumes", alice, { volume: { size: 1, volume_type: "nope" } })).status).toBe(404);
  });

  it("lists with filters, sort, limit and marker, scoped to the project", async () => {
    const a = await makeVolume({ name: "list-a", metadata: { tier: "gold" } });
    const b = await makeVolume({ name: "list-b", size: 3 });
    const names = async (q: string) => ((await body(await call("GET", `/volumes/detail?${q}`, alice))).volumes as Array<{ name: string }>).map((v) => v.name);
    expect(await names("name=list-a")).toEqual(["list-a"]);
    expect(await names(`metadata=${encodeURIComponent('{"tier":"gold"}')}`)).toEqual(["list-a"]);
    expect(await names("sort=size:desc&limit=1")).toEqual(["list-b"]);
    const page = await body(await call("GET", `/volumes?sort=name:asc&marker=${a.id}&limit=1&name=list-b`, alice));
    expect(page.volumes.map((v: { id: string }) => v.id)).toEqual([b.id]);
    expect(Object.keys(page.volumes[0]).sort()).toEqual(["id", "links", "name"]);
    expect((await call("GET", "/volumes?sort=bogus", alice)).status).toBe(400);
    expect((await body(await call("GET", "/volumes", bob))).volumes).toEqual([]);
    expect((await call("GET", `/volumes/${a.id}`, bob)).status).toBe(404);
  });

  it("updates name, description and metadata; metadata items CRUD", async () => {
    const v = await makeVolume({ name: "before" });
    const upd = await body(await call("PUT", `/volumes/${v.id}`, alice, { volume: { name: "after", description: "d" } }));
    expect(upd.volume).toMatchObject({ name: "after", description: "d" });
    expect((await call("PUT", `/volumes/${v.id}`, rita, { volume: { name: "x" } })).status).toBe(403);
    expect((await body(await call("POST", `/volumes/${v.id}/metadata`, alice, { metadata: { a: "1", b: "2" } }))).metadata).toEqual({ a: "1", b: "2" });
    expect((await body(await call("PUT", `/volumes/${v.id}/metadata/a`, alice, { meta: { a: "9" } }))).meta).toEqual({ a: "9" });
    expect((await call("PUT", `/volumes/${v.id}/metadata/a`, alice, { meta: { b: "9" } })).status).toBe(400);
    expect((await body(await call("GET", `/volumes/${v.id}/metadata/a`, alice))).meta).toEqual({ a: "9" });
    expect((await call("DELETE", `/volumes/${v.id}/metadata/a`, alice)).status).toBe(200);
    expect((await call("GET", `/volumes/${v.id}/metadata/a`, alice)).status).toBe(404);
    expect((await body(await call("PUT", `/volumes/${v.id}/metadata`, alice, { metadata: { c: "3" } }))).metadata).toEqual({ c: "3" });
    expect((await show(v.id)).metadata).toEqual({ c: "3" });
  });

  it("summarises the project's volumes from 3.12 (metadata from 3.36); below, summary is an unknown id", async () => {
    await makeVolume({ metadata: { tier: "gold" } });
    const summary = async (version: string, token = alice) => call("GET", "/volumes/summary", token, undefined, { "OpenStack-API-Version": `volume ${version}` });
    const old = await summary("3.0");
    expect(old.status).toBe(404);
    expect((await body(old)).itemNotFound.code).toBe(404);
    const own = (await body(await call("GET", "/volumes/detail", alice))).volumes as Array<{ size: number }>;
    expect((await body(await summary("3.12")))["volume-summary"]).toEqual({ total_count: own.length, total_size: own.reduce((n, v) => n + v.size, 0) });
    const withMeta = (await body(await summary("3.36")))["volume-summary"];
    expect(withMeta.metadata.tier).toEqual(["gold"]);
    expect((await body(await summary("3.12", bob)))["volume-summary"]).toEqual({ total_count: 0, total_size: 0 });
  });

  it("extends only to a larger size, through the host", async () => {
    const v = await makeVolume();
    const smaller = await call("POST", `/volumes/${v.id}/action`, alice, { "os-extend": { new_size: 1 } });
    expect(smaller.status).toBe(400);
    expect((await call("POST", `/volumes/${v.id}/action`, alice, { "os-extend": { new_size: 3 } })).status).toBe(202);
    expect((await show(v.id)).status).toBe("extending");
    const cmd = lastSent("volume.extend");
    expect(cmd.payload).toEqual({ volumeId: v.id, sizeGb: 3 });
    await hostEvent("volume.state", { volumeId: v.id, commandId: cmd.id, status: "available", sizeGb: 3 });
    expect(await show(v.id)).toMatchObject({ status: "available", size: 3 });
  });

  it("sets bootable and readonly; reset-status and force-delete are admin only", async () => {
    const v = await makeVolume();
    expect((await call("POST", `/volumes/${v.id}/action`, alice, { "os-set_bootable": { bootable: true } })).status).toBe(200);
    expect((await call("POST", `/volumes/${v.id}/action`, alice, { "os-update_readonly_flag": { readonly: false } })).status).toBe(202);
    expect(await show(v.id)).toMatchObject({ bootable: "true", metadata: { readonly: "False" } });
    expect((await call("POST", `/volumes/${v.id}/action`, alice, { "os-reset_status": { status: "error" } })).status).toBe(403);
    expect((await call("POST", `/volumes/${v.id}/action`, alice, { "os-force_delete": {} })).status).toBe(403);
    // An admin of another project reaches the volume (admin sees all) and may reset it.
    expect((await call("POST", `/volumes/${v.id}/action`, admin, { "os-reset_status": { status: "error" } })).status).toBe(202);
    expect((await show(v.id)).status).toBe("error");
    expect((await call("POST", `/volumes/${v.id}/action`, alice, { "os-bogus": {} })).status).toBe(400);
  });

  it("deletes through the host; deleting an unknown volume is 404", async () => {
    const v = await makeVolume();
    expect((await call("DELETE", `/volumes/${v.id}`, alice)).status).toBe(202);
    expect((await show(v.id)).status).toBe("deleting");
    const cmd = lastSent("volume.delete");
    await hostEvent("volume.state", { volumeId: v.id, commandId: cmd.id, status: "deleted" });
    expect((await call("GET", `/volumes/${v.id}`, alice)).status).toBe(404);
    expect((await call("DELETE", `/volumes/${crypto.randomUUID()}`, alice)).status).toBe(404);
  });

  it("creates from an image: bootable, with image metadata, downloaded by the host", async () => {
    const imageId = crypto.randomUUID();
    await api.db.insert(images).values({ id: imageId, name: "img", owner: demo, visibility: "private", status: "active", diskFormat: "qcow2", containerFormat: "bare", checksum: "0".repeat(32), size: 1000 });
    const v = await makeVolume({ imageRef: imageId });
    expect(lastSent("volume.create").payload).toMatchObject({ source: { kind: "image", image: { id: imageId, url: `${BASE}/internal/images/${imageId}/file` } } });
    expect(await show(v.id)).toMatchObject({ bootable: "true", volume_image_metadata: { image_id: imageId, image_name: "img" } });
  });
});

describe("snapshots", () => {
  it("snapshots an available volume, refuses in-use without force, makes volumes from it on its host", async () => {
    const v = await makeVolume({ size: 2 });
    const res = await call("POST", "/snapshots", alice, { snapshot: { volume_id: v.id, name: "s1", metadata: { m: "1" } } });
    expect(res.status).toBe(202);
    const s = (await body(res)).snapshot;
    expect(s).toMatchObject({ status: "creating", size: 2, volume_id: v.id, name: "s1" });
    const cmd = lastSent("volume.snapshot");
    await hostEvent("volume.snapshot-state", { snapshotId: s.id, commandId: cmd.id, status: "available" });
    const shown = (await body(await call("GET", `/snapshots/${s.id}`, alice))).snapshot;
    expect(shown).toMatchObject({ status: "available", "os-extended-snapshot-attributes:progress": "100%", "os-extended-snapshot-attributes:project_id": demo });
    expect((await call("DELETE", `/volumes/${v.id}`, alice)).status).toBe(400);
    const fromSnap = await makeVolume({ snapshot_id: s.id, size: undefined });
    expect(lastSent("volume.create")).toMatchObject({ hostId: "host-a", payload: { sizeGb: 2, source: { kind: "snapshot", snapshotId: s.id } } });
    expect(fromSnap.snapshot_id).toBe(s.id);
    expect((await call("POST", "/volumes", alice, { volume: { size: 1, snapshot_id: s.id } })).status).toBe(400);
    expect((await body(await call("PUT", `/snapshots/${s.id}`, alice, { snapshot: { name: "s2" } }))).snapshot.name).toBe("s2");
    expect((await body(await call("GET", `/snapshots/${s.id}/metadata`, alice))).metadata).toEqual({ m: "1" });
    expect((await call("GET", `/snapshots/${s.id}`, bob)).status).toBe(404);
    expect((await call("DELETE", `/snapshots/${s.id}`, alice)).status).toBe(202);
    const del = lastSent("volume.snapshot-delete");
    await hostEvent("volume.snapshot-state", { snapshotId: s.id, commandId: del.id, status: "deleted" });
    expect((await call("GET", `/snapshots/${s.id}`, alice)).status).toBe(404);
  });
});

describe("types, quotas, limits, zones", () => {
  it("lets admins manage types and steers placement by volume_backend_name", async () => {
    await api.addHost("host-b");
    await pool("host-b", "fast");
    expect((await call("POST", "/types", alice, { volume_type: { name: "fast" } })).status).toBe(403);
    const t = (await body(await call("POST", "/types", admin, { volume_type: { name: "fast", extra_specs: { volume_backend_name: "fast" } } }))).volume_type;
    expect(t).toMatchObject({ name: "fast", is_public: true, extra_specs: { volume_backend_name: "fast" } });
    expect((await call("POST", "/types", admin, { volume_type: { name: "fast" } })).status).toBe(409);
    await makeVolume({ volume_type: "fast" });
    expect(lastSent("volume.create").hostId).toBe("host-b");
    expect((await body(await call("GET", "/types", alice))).volume_types.map((x: { name: string }) => x.name)).toContain("fast");
    expect((await body(await call("PUT", `/types/${t.id}/extra_specs/k`, admin, { k: "v" }))).k).toBe("v");
    expect((await body(await call("GET", `/types/${t.id}/extra_specs`, alice))).extra_specs).toEqual({ volume_backend_name: "fast", k: "v" });
    expect((await call("DELETE", `/types/${t.id}`, admin)).status).toBe(400); // a volume uses it
  });

  it("enforces quotas with 413 overLimit, and reports usage and limits", async () => {
    const before = (await body(await call("GET", `/os-quota-sets/${demo}?usage=true`, alice))).quota_set;
    const used = before.volumes.in_use as number;
    expect((await call("PUT", `/os-quota-sets/${demo}`, alice, { quota_set: { volumes: used + 1 } })).status).toBe(403);
    expect((await call("PUT", `/os-quota-sets/${demo}`, admin, { quota_set: { volumes: used - 1 } })).status).toBe(400);
    expect((await call("PUT", `/os-quota-sets/${demo}`, admin, { quota_set: { volumes: used + 1 } })).status).toBe(200);
    await makeVolume();
    const over = await call("POST", "/volumes", alice, { volume: { size: 1 } });
    expect(over.status).toBe(413);
    expect((await body(over)).overLimit.message).toMatch(/VolumeLimitExceeded/);
    expect((await call("PUT", `/os-quota-sets/${demo}`, admin, { quota_set: { volumes: 1000 } })).status).toBe(200);
    const big = await call("POST", "/volumes", alice, { volume: { size: 5000 } });
    expect(big.status).toBe(413);
    expect((await body(big)).overLimit.message).toMatch(/gigabytes quota/);
    const limits = (await body(await call("GET", "/limits", alice))).limits.absolute;
    expect(limits).toMatchObject({ maxTotalVolumes: 1000, maxTotalVolumeGigabytes: 1000, totalVolumesUsed: used + 1 });
    expect((await call("GET", `/os-quota-sets/${api.projects.other}`, alice)).status).toBe(403);
    const az = (await body(await call("GET", "/os-availability-zone", alice))).availabilityZoneInfo;
    expect(az).toEqual([{ zoneName: "nova", zoneState: { available: true } }]);
  });
});

describe("attachments", () => {
  async function activeServer(hostId: string) {
    const id = crypto.randomUUID();
    await api.db.insert(servers).values({ id, name: "vm", projectId: demo, userId: "u", flavorId: "1", imageId: "i", hostId, vcpus: 1, memoryMb: 512, diskGb: 1, vmState: "active", powerState: 1 });
    return id;
  }
  const attach = (serverId: string, volumeId: string) => api.request(`/compute/v2.1/servers/${serverId}/os-volume_attachments`, { method: "POST", token: alice, json: { volumeAttachment: { volumeId } } });

  it("attaches live on the volume's host as vdb, refuses in-use delete, detaches", async () => {
    const serverId = await activeServer("host-a");
    const v = await makeVolume();
    const res = await attach(serverId, v.id);
    expect(res.status).toBe(200);
    expect((await body(res)).volumeAttachment).toEqual({ id: v.id, serverId, volumeId: v.id, device: "/dev/vdb" });
    expect(lastSent("volume.attach")).toMatchObject({ hostId: "host-a", payload: { volumeId: v.id, serverId, device: "vdb" } });
    const shown = await show(v.id);
    expect(shown.status).toBe("in-use");
    expect(shown.attachments[0]).toMatchObject({ server_id: serverId, device: "/dev/vdb", volume_id: v.id });
    expect((await call("DELETE", `/volumes/${v.id}`, alice)).status).toBe(400);
    const list = await body(await api.request(`/compute/v2.1/servers/${serverId}/os-volume_attachments`, { token: alice }));
    expect(list.volumeAttachments).toHaveLength(1);
    const attached = async (version: string) =>
      (await body(await api.request(`/compute/v2.1/servers/${serverId}`, { token: alice, headers: { "OpenStack-API-Version": `compute ${version}` } }))).server["os-extended-volumes:volumes_attached"];
    expect(await attached("2.1")).toEqual([{ id: v.id }]);
    expect(await attached("2.3")).toEqual([{ id: v.id, delete_on_termination: false }]);
    const second = await makeVolume();
    expect((await body(await attach(serverId, second.id))).volumeAttachment.device).toBe("/dev/vdc");
    expect((await api.request(`/compute/v2.1/servers/${serverId}/os-volume_attachments/${v.id}`, { method: "DELETE", token: alice })).status).toBe(202);
    expect(lastSent("volume.detach").payload).toEqual({ volumeId: v.id, serverId, device: "vdb" });
    expect(await show(v.id)).toMatchObject({ status: "available", attachments: [] });
  });

  it("snapshots an in-use volume only with force, asking the host to pause its server around the copy", async () => {
    const serverId = await activeServer("host-a");
    const v = await makeVolume();
    expect((await attach(serverId, v.id)).status).toBe(200);
    expect((await call("POST", "/snapshots", alice, { snapshot: { volume_id: v.id } })).status).toBe(400);
    expect((await call("POST", "/snapshots", alice, { snapshot: { volume_id: v.id, force: true } })).status).toBe(202);
    expect(lastSent("volume.snapshot")).toMatchObject({ hostId: "host-a", payload: { volumeId: v.id, pauseServers: [serverId] } });
  });

  it("extends an in-use volume live at microversion 3.42 only, back to in-use at the new size", async () => {
    const serverId = await activeServer("host-a");
    const v = await makeVolume();
    expect((await attach(serverId, v.id)).status).toBe(200);
    const extend = (size: number, version?: string) =>
      call("POST", `/volumes/${v.id}/action`, alice, { "os-extend": { new_size: size } }, version ? { "OpenStack-API-Version": `volume ${version}` } : undefined);
    const at30 = await extend(2);
    expect(at30.status).toBe(400);
    expect((await body(at30)).badRequest.message).toMatch(/current status is: in-use/);
    expect((await extend(2, "3.43")).status).toBe(404);
    const res = await extend(2, "3.42");
    expect(res.status).toBe(202);
    expect(res.headers.get("OpenStack-API-Version")).toBe("volume 3.42");
    expect((await show(v.id)).status).toBe("extending");
    const cmd = lastSent("volume.extend");
    expect(cmd).toMatchObject({ hostId: "host-a", payload: { volumeId: v.id, sizeGb: 2, attachment: { serverId, device: "vdb" } } });
    await hostEvent("volume.state", { volumeId: v.id, commandId: cmd.id, status: "available", sizeGb: 2 });
    const after = await show(v.id);
    expect(after).toMatchObject({ status: "in-use", size: 2 });
    expect(after.attachments[0]).toMatchObject({ server_id: serverId, device: "/dev/vdb" });
    // A failure on the host leaves Cinder's error_extending with the reason, and the size unchanged.
    expect((await extend(3, "3.42")).status).toBe(202);
    const failed = lastSent("volume.extend");
    await hostEvent("volume.state", { volumeId: v.id, commandId: failed.id, status: "error", error: "blockresize failed" });
    expect(await show(v.id)).toMatchObject({ status: "error_extending", size: 2 });
    // As Nova does, each extend is an extend_volume instance action of the server; its event ends with the host's outcome.
    const actions = (await body(await api.request(`/compute/v2.1/servers/${serverId}/os-instance-actions`, { token: alice }))).instanceActions as Array<Record<string, string>>;
    const extends_ = actions.filter((a) => a.action === "extend_volume");
    expect(extends_.map((a) => a.request_id)).toContain(res.headers.get("x-openstack-request-id"));
    const results = [];
    for (const a of extends_) {
      const detail = (await body(await api.request(`/compute/v2.1/servers/${serverId}/os-instance-actions/${a.request_id}`, { token: admin }))).instanceAction;
      expect(detail.events).toHaveLength(1);
      expect(detail.events[0]).toMatchObject({ event: "compute_extend_volume", finish_time: expect.any(String) });
      results.push(detail.events[0].result);
    }
    expect(results.sort()).toEqual(["Error", "Success"]);
  });

  it("refuses a volume on another host with 409", async () => {
    const serverId = await activeServer("host-b");
    const v = await makeVolume();
    expect(lastSent("volume.create").hostId).toBe("host-a");
    const res = await attach(serverId, v.id);
    expect(res.status).toBe(409);
    expect((await body(res)).conflictingRequest.message).toMatch(/only to servers on the volume's own host/);
    expect((await show(v.id)).status).toBe("available");
  });

  it("gives the volume back (available) when the host fails or vanishes mid-attach", async () => {
    const serverId = await activeServer("host-a");
    const v = await makeVolume();
    const original = api.bus.call.bind(api.bus);
    api.bus.call = async () => { throw new Error("host host-a did not answer volume.attach in time"); };
    try {
      expect((await attach(serverId, v.id)).status).toBe(409);
    } finally {
      api.bus.call = original;
    }
    expect(await show(v.id)).toMatchObject({ status: "available", attachments: [] });
  });

  it("answers bad input with each service's error body: attach in use (400, as Nova), delete in use (400), extend smaller (400), size 0 (400), over quota (413)", async () => {
    const serverId = await activeServer("host-a");
    const other = await activeServer("host-a");
    const v = await makeVolume();
    expect((await attach(serverId, v.id)).status).toBe(200);
    // Tempest's test_attach_attached_volume_to_{same,different}_server expect Nova's 400, not 409.
    for (const target of [serverId, other]) {
      const again = await attach(target, v.id);
      expect(again.status).toBe(400);
      expect((await body(again)).badRequest).toMatchObject({ code: 400, message: expect.stringMatching(/status must be 'available'. Currently in 'in-use'/) });
    }
    const del = await call("DELETE", `/volumes/${v.id}`, alice);
    expect(del.status).toBe(400);
    expect((await body(del)).badRequest).toMatchObject({ code: 400, message: expect.stringMatching(/^Invalid volume: Volume status must be available/) });
    const free = await makeVolume({ size: 2 });
    for (const size of [1, 2]) {
      const smaller = await call("POST", `/volumes/${free.id}/action`, alice, { "os-extend": { new_size: size } });
      expect(smaller.status).toBe(400);
      expect((await body(smaller)).badRequest).toMatchObject({ code: 400, message: `Invalid input received: New size for extend must be greater than current size. (current: 2, extended: ${size}).` });
    }
    const zero = await call("POST", "/volumes", alice, { volume: { size: 0 } });
    expect(zero.status).toBe(400);
    expect((await body(zero)).badRequest.code).toBe(400);
    const huge = await call("POST", `/volumes/${free.id}/action`, alice, { "os-extend": { new_size: 100_000 } });
    expect(huge.status).toBe(413);
    expect((await body(huge)).overLimit).toMatchObject({ code: 413, message: expect.stringMatching(/gigabytes quota/) });
    expect((await show(free.id)).status).toBe("available");
  });

  describe("a host that goes away mid-attach", () => {
    const hostStatus = (state: "online" | "offline", host = "host-a") => ingest({ db: api.db, bus: api.bus, apiBase: BASE }, host, "status", { state, ts: new Date().toISOString() });
    const errorReason = async (id: string) => {
      const { volumes } = await import("../../edge/src/db/schema.js");
      return (await api.db.select().from(volumes).where(eq(volumes.id, id)))[0]!.errorReason;
    };
    /** Runs `work` while the host's answer to volume.attach is held back; `answer` releases it. */
    async function withHeldCall(work: (held: Promise<void>, answer: (outcome: Error | null) => void) => Promise<void>) {
      const original = api.bus.call.bind(api.bus);
      let answer!: (outcome: Error | null) => void;
      let called!: () => void;
      const held = new Promise<void>((r) => { called = r; });
      api.bus.call = async (hostId, type, payload) => {
        api.bus.sent.push({ hostId, type, payload, id: crypto.randomUUID() });
        called();
        const outcome = await new Promise<Error | null>((r) => { answer = r; });
        if (outcome) throw outcome;
        return {};
      };
      try {
        await work(held, (o) => answer(o));
      } finally {
        api.bus.call = original;
        await hostStatus("online");
      }
    }

    it("gives the volume back at once when the host goes offline, whatever the call does later", async () => {
      const serverId = await activeServer("host-a");
      const v = await makeVolume();
      await withHeldCall(async (held, answer) => {
        const pending = attach(serverId, v.id);
        await held;
        expect((await show(v.id)).status).toBe("attaching");
        await hostStatus("offline");
        expect(await show(v.id)).toMatchObject({ status: "available", attachments: [] });
        expect(await errorReason(v.id)).toMatch(/attach was interrupted: its host went offline/);
        answer(new Error("host host-a did not answer volume.attach in time"));
        const res = await pending;
        expect(res.status).toBe(409);
        expect((await body(res)).conflictingRequest.message).toMatch(/could not be attached/);
      });
      expect(await show(v.id)).toMatchObject({ status: "available", attachments: [] });
      // The server was never given a task state, and takes the volume once its host is back.
      const [srv] = await api.db.select().from(servers).where(eq(servers.id, serverId));
      expect(srv!.taskState).toBeNull();
      expect((await attach(serverId, v.id)).status).toBe(200);
    });

    it("undoes an attach the host finished after it was given up", async () => {
      const serverId = await activeServer("host-a");
      const v = await makeVolume();
      await withHeldCall(async (held, answer) => {
        const pending = attach(serverId, v.id);
        await held;
        await hostStatus("offline");
        answer(null); // the host came back and did it late
        expect((await pending).status).toBe(409);
      });
      expect(lastSent("volume.detach")).toMatchObject({ hostId: "host-a", payload: { volumeId: v.id, serverId, device: "vdb" } });
      expect(await show(v.id)).toMatchObject({ status: "available", attachments: [] });
    });

    it("puts a detach interrupted by the host going offline back to in-use", async () => {
      const serverId = await activeServer("host-a");
      const v = await makeVolume();
      expect((await attach(serverId, v.id)).status).toBe(200);
      await withHeldCall(async (held, answer) => {
        const pending = api.request(`/compute/v2.1/servers/${serverId}/os-volume_attachments/${v.id}`, { method: "DELETE", token: alice });
        await held;
        expect((await show(v.id)).status).toBe("detaching");
        await hostStatus("offline");
        expect((await show(v.id)).status).toBe("in-use");
        answer(new Error("host host-a did not answer volume.detach in time"));
        expect((await pending).status).toBe(409);
      });
      expect((await show(v.id)).status).toBe("in-use");
    });

    it("refuses at once (409) to attach or detach on a host known to be offline", async () => {
      const serverId = await activeServer("host-a");
      const v = await makeVolume();
      const attachedVol = await makeVolume();
      expect((await attach(serverId, attachedVol.id)).status).toBe(200);
      await hostStatus("offline");
      try {
        const sentBefore = api.bus.sent.length;
        const res = await attach(serverId, v.id);
        expect(res.status).toBe(409);
        expect((await body(res)).conflictingRequest.message).toMatch(/host host-a is down/);
        const det = await api.request(`/compute/v2.1/servers/${serverId}/os-volume_attachments/${attachedVol.id}`, { method: "DELETE", token: alice });
        expect(det.status).toBe(409);
        expect(api.bus.sent.length).toBe(sentBefore);
        expect((await show(v.id)).status).toBe("available");
        expect((await show(attachedVol.id)).status).toBe("in-use");
      } finally {
        await hostStatus("online");
      }
    });

    it("matches attachments to the disks a reconnecting host reports plugged in", async () => {
      const serverId = await activeServer("host-a");
      const gone = await makeVolume(); // recorded attached, but the host lost the disk
      const kept = await makeVolume(); // recorded attached and really plugged in
      const stray = await makeVolume(); // plugged in by a late attach, recorded available
      const unread = await makeVolume(); // attached to a server whose domain the host did not read
      const otherServer = await activeServer("host-a");
      for (const id of [gone.id, kept.id]) expect((await attach(serverId, id)).status).toBe(200);
      expect((await attach(otherServer, unread.id)).status).toBe(200);
      const { volumes } = await import("../../edge/src/db/schema.js");
      const held = (await api.db.select({ id: volumes.id }).from(volumes)).map((r) => r.id);
      const devOf = async (id: string) => ((await show(id)).attachments[0].device as string).replace("/dev/", "");
      const disks = [{ serverId, volumeId: kept.id, device: await devOf(kept.id) }, { serverId, volumeId: stray.id, device: "vdf" }];
      await hostEvent("volume.inventory", { backend: "dir", totalGb: 50, freeGb: 40, volumes: held, snapshots: [], attachments: { servers: [serverId], disks } });
      expect(await show(gone.id)).toMatchObject({ status: "available", attachments: [] });
      expect(await errorReason(gone.id)).toMatch(/no longer attached/);
      expect((await show(kept.id)).status).toBe("in-use");
      expect((await show(unread.id)).status).toBe("in-use");
      expect(await show(stray.id)).toMatchObject({ status: "available", attachments: [] });
      expect(lastSent("volume.detach")).toMatchObject({ hostId: "host-a", payload: { volumeId: stray.id, serverId, device: "vdf" } });
    });
  });

  it("frees volumes when their server is deleted", async () => {
    const serverId = await activeServer("host-a");
    const v = await makeVolume();
    await attach(serverId, v.id);
    const { finalizeDelete } = await import("../../edge/src/compute/server-state.js");
    await finalizeDelete(api.db, serverId);
    expect(await show(v.id)).toMatchObject({ status: "available", attachments: [] });
    expect((await api.db.select().from(servers).where(eq(servers.id, serverId)))[0]!.vmState).toBe("deleted");
  });

  it("boots from an existing bootable volume on its host, shows image \"\", deletes it with the server when asked", async () => {
    const v = await makeVolume();
    const bdm = [{ uuid: v.id, source_type: "volume", destination_type: "volume", boot_index: 0, delete_on_termination: true }];
    const create = (extra: Record<string, unknown>) => api.request("/compute/v2.1/servers", { method: "POST", token: alice, json: { server: { name: "bfv", flavorRef: "1", networks: "none", imageRef: "", ...extra } } });
    expect((await create({ block_device_mapping_v2: bdm })).status).toBe(400); // not bootable yet
    await call("POST", `/volumes/${v.id}/action`, alice, { "os-set_bootable": { bootable: true } });
    const res = await create({ block_device_mapping_v2: bdm });
    expect(res.status).toBe(202);
    const serverId = (await body(res)).server.id;
    const build = lastSent("server.create");
    expect(build).toMatchObject({ hostId: "host-a", payload: { serverId, rootVolume: { volumeId: v.id } } });
    expect(build.payload).not.toHaveProperty("image");
    expect(await show(v.id)).toMatchObject({ status: "in-use", attachments: [{ server_id: serverId, device: "/dev/vda" }] });
    const server = (await body(await api.request(`/compute/v2.1/servers/${serverId}`, { token: alice }))).server;
    expect(server.image).toBe("");
    expect(server["os-extended-volumes:volumes_attached"]).toEqual([{ id: v.id }]);
    expect((await api.request(`/compute/v2.1/servers/${serverId}/os-volume_attachments/${v.id}`, { method: "DELETE", token: alice })).status).toBe(400);
    await api.db.update(servers).set({ vmState: "active", taskState: null }).where(eq(servers.id, serverId));
    expect((await api.request(`/compute/v2.1/servers/${serverId}`, { method: "DELETE", token: alice })).status).toBe(204);
    const del = lastSent("server.delete");
    expect(del.payload).toMatchObject({ serverId, deleteVolumes: [v.id] });
    await hostEvent("server.state", { serverId, commandId: del.id, vmState: "deleted", powerState: 0 });
    expect((await call("GET", `/volumes/${v.id}`, alice)).status).toBe(404);
  });

  it("boots from a new volume made from an image (--boot-from-volume), created by the host with the build", async () => {
    const imageId = crypto.randomUUID();
    await api.db.insert(images).values({ id: imageId, name: "bfv-img", owner: demo, visibility: "private", status: "active", diskFormat: "qcow2", containerFormat: "bare", checksum: "1".repeat(32), size: 1000 });
    const bdm = [{ uuid: imageId, source_type: "image", destination_type: "volume", boot_index: "0", volume_size: 2, delete_on_termination: false }];
    const res = await api.request("/compute/v2.1/servers", { method: "POST", token: alice, json: { server: { name: "bfv2", flavorRef: "1", networks: "none", block_device_mapping_v2: bdm } } });
    expect(res.status).toBe(202);
    const build = lastSent("server.create");
    const root = (build.payload as { rootVolume: { volumeId: string; commandId: string } }).rootVolume;
    expect(root).toMatchObject({ create: { sizeGb: 2, source: { kind: "image", image: { id: imageId } } } });
    expect(await show(root.volumeId)).toMatchObject({ status: "creating", bootable: "true", size: 2 });
    await hostEvent("volume.state", { volumeId: root.volumeId, commandId: root.commandId, status: "available", sizeGb: 2 }, build.hostId);
    expect((await show(root.volumeId)).status).toBe("in-use");
  });

  it("settles an attach interrupted with its edge request when the host reports its inventory", async () => {
    const serverId = await activeServer("host-a");
    const v = await makeVolume();
    const { volumeAttachments, volumes } = await import("../../edge/src/db/schema.js");
    const longAgo = new Date(Date.now() - 10 * 60_000).toISOString();
    await api.db.update(volumes).set({ status: "attaching", updatedAt: longAgo }).where(eq(volumes.id, v.id));
    await api.db.insert(volumeAttachments).values({ id: crypto.randomUUID(), volumeId: v.id, serverId, hostId: "host-a", device: "vdb" });
    const fresh = await makeVolume();
    await api.db.update(volumes).set({ status: "attaching" }).where(eq(volumes.id, fresh.id));
    const held = (await api.db.select({ id: volumes.id }).from(volumes)).map((r) => r.id);
    await hostEvent("volume.inventory", { backend: "dir", totalGb: 50, freeGb: 40, volumes: held, snapshots: [] });
    expect(await show(v.id)).toMatchObject({ status: "available", attachments: [] });
    expect((await show(fresh.id)).status).toBe("attaching"); // may still be in flight
  });
});
