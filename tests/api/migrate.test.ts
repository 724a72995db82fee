import { createHash } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEnvelope, type EventPayload } from "../../shared/src/index.js";
import { ingest } from "../../edge/src/bus/ingest.js";
import { hostCapacities } from "../../edge/src/compute/placement.js";
import { hosts, serverMigrations, servers } from "../../edge/src/db/schema.js";
import { enrollHost } from "../../edge/src/hosts/enroll.js";
import { makeApi, type Api } from "./harness.js";

let api: Api;
let alice: string, admin: string, imageId: string;
const secrets: Record<string, string> = {};

beforeAll(async () => {
  api = await makeApi();
  [alice, admin] = await Promise.all([api.login("alice", "alicepw", "demo"), api.login("admin", "adminpw", "admin")]);
  imageId = await api.publicImage();
  for (const id of ["host-a", "host-b"]) {
    await api.addHost(id);
    secrets[id] = (await enrollHost(api.db, id)).secret;
  }
  await api.unlimitedCompute(api.projects.demo);
});
afterAll(() => api.cleanup());

const action = (id: string, body: unknown, token = alice) => api.request(`/compute/v2.1/servers/${id}/action`, { method: "POST", token, json: body });
const show = async (id: string) => (await (await api.request(`/compute/v2.1/servers/${id}`, { token: alice })).json()).server;
const row = async (id: string) => (await api.db.select().from(servers).where(eq(servers.id, id)))[0];
const sentTo = (serverId: string, type: string) => [...api.bus.sent].reverse().find((m) => m.type === type && (m.payload as { serverId?: string }).serverId === serverId)!;
const report = (hostId: string, p: EventPayload<"server.state">) => ingest({ db: api.db, bus: api.bus, apiBase: "http://nimbus.test" }, hostId, "events", makeEnvelope("server.state", p));
const hostAuth = (hostId: string) => ({ Authorization: `Basic ${btoa(`${hostId}:${secrets[hostId]}`)}` });
const diskPath = (url: string) => new URL(url).pathname;
const used = async (hostId: string) => (await hostCapacities(api.db)).find((h) => h.id === hostId)!.usedMemoryMb;
const migration = async (serverId: string) => (await api.db.select().from(serverMigrations).where(eq(serverMigrations.serverId, serverId))).at(-1)!;

async function activeServer(name: string) {
  const res = await api.request("/compute/v2.1/servers", { method: "POST", token: alice, json: { server: { name, imageRef: imageId, flavorRef: "1", networks: "none" } } });
  const id = (await res.json()).server.id as string;
  const created = sentTo(id, "server.create");
  await report(created.hostId, { serverId: id, commandId: created.id, vmState: "active", powerState: 1 });
  return { id, source: created.hostId, dest: created.hostId === "host-a" ? "host-b" : "host-a" };
}

/** Admin migrate, then the source's upload of `bytes`; returns the destination's command. */
async function migrateAndUpload(id: string, source: string, bytes = Buffer.from("qcow2 disk bytes")) {
  expect((await action(id, { migrate: null }, admin)).status).toBe(202);
  const out = sentTo(id, "server.migrateOut");
  expect(out.hostId).toBe(source);
  const put = await api.request(diskPath((out.payload as { diskUrl: string }).diskUrl), { method: "PUT", headers: hostAuth(source), body: bytes });
  expect(put.status).toBe(204);
  return sentTo(id, "server.migrateIn");
}

describe("cold migration", () => {
  it("moves a server to another host through the edge, claims both ends until confirm, then drops the source copy", async () => {
    const { id, source, dest } = await activeServer("mig1");
    expect((await action(id, { migrate: null })).status).toBe(403); // admin only, as Nova's policy
    const destBefore = await used(dest);
    expect((await action(id, { migrate: null }, admin)).status).toBe(202);
    const out = sentTo(id, "server.migrateOut");
    expect(out.hostId).toBe(source);
    expect(await show(id)).toMatchObject({ status: "RESIZE", "OS-EXT-STS:task_state": "resize_prep" });
    expect(await used(dest)).toBe(destBefore + 512); // the destination is claimed before anything moves
    expect((await action(id, { migrate: null }, admin)).status).toBe(409);

    const url = diskPath((out.payload as { diskUrl: string }).diskUrl);
    expect((await api.request(url, { headers: hostAuth(dest) })).status).toBe(404); // nothing staged yet
    expect((await api.request(url, { method: "PUT", headers: hostAuth(dest), body: "x" })).status).toBe(404); // only the source writes
    expect((await api.request(url, { method: "PUT", body: "x" })).status).toBe(401);
    const bytes = Buffer.from("a flattened qcow2");
    expect((await api.request(url, { method: "PUT", headers: hostAuth(source), body: bytes })).status).toBe(204);

    const inCmd = sentTo(id, "server.migrateIn");
    expect(inCmd.hostId).toBe(dest);
    expect(inCmd.payload).toMatchObject({ serverId: id, memoryMb: 512, powerOn: true, disk: { checksum: createHash("md5").update(bytes).digest("hex") } });
    expect(await row(id)).toMatchObject({ hostId: dest, taskState: "resize_finish" });
    const fetched = await api.request(url, { headers: hostAuth(dest) });
    expect(Buffer.from(await fetched.arrayBuffer()).equals(bytes)).toBe(true);
    expect((await api.request(url, { headers: hostAuth(source) })).status).toBe(404);

    await report(dest, { serverId: id, commandId: inCmd.id, vmState: "resized", powerState: 1 });
    expect(await show(id)).toMatchObject({ status: "VERIFY_RESIZE", flavor: { id: "1" } });
    expect(await used(source)).toBeGreaterThanOrEqual(512); // the source keeps its claim until confirm

    // The source's inventory still lists the stopped copy: it is kept, not treated as an orphan.
    const before = api.bus.sent.length;
    await ingest({ db: api.db, bus: api.bus, apiBase: "http://nimbus.test" }, source, "events", makeEnvelope("host.inventory", { domains: [{ serverId: id, powerState: 4 }] }));
    expect(api.bus.sent.slice(before).filter((m) => m.type === "server.delete")).toEqual([]);

    const sourceBefore = await used(source);
    expect((await action(id, { confirmResize: null })).status).toBe(204);
    expect(sentTo(id, "server.confirmResize").hostId).toBe(dest);
    expect(sentTo(id, "server.migrateDrop").hostId).toBe(source);
    expect(await used(source)).toBe(sourceBefore - 512);
    await report(dest, { serverId: id, commandId: sentTo(id, "server.confirmResize").id, vmState: "active", powerState: 1 });
    expect(await show(id)).toMatchObject({ status: "ACTIVE" });
    expect(await row(id)).toMatchObject({ hostId: dest });
    expect((await migration(id)).status).toBe("confirmed");
    const actions = (await (await api.request(`/compute/v2.1/servers/${id}/os-instance-actions`, { token: alice })).json()).instanceActions;
    expect(actions.map((a: { action: string }) => a.action)).toEqual(expect.arrayContaining(["migrate", "confirmResize"]));
 
    const listed = await api.request(`/compute/v2.1/os-migrations?instance_uuid=${id}`, { token: admin, headers: { "OpenStack-API-Version": "compute 2.23" } });
    expect((await listed.json()).migrations).toEqual([expect.objectContaining({
      instance_uuid: id, status: "confirmed", source_compute: source, dest_compute: dest, migration_type: "migration", old_instance_type_id: expect.any(Number), id: expect.any(Number),
    })]);
    const old = (await (await api.request(`/compute/v2.1/os-migrations?instance_uuid=${id}`, { token: admin })).json()).migrations[0];
    expect(old).not.toHaveProperty("migration_type");
    expect((await api.request("/compute/v2.1/os-migrations", { token: alice })).status).toBe(403);
  });

  it("reverts: the destination drops its copy and the source starts the kept guest", async () => {
    const { id, source, dest } = await activeServer("mig2");
    const inCmd = await migrateAndUpload(id, source);
    await report(dest, { serverId: id, commandId: inCmd.id, vmState: "resized", powerState: 1 });
    expect((await action(id, { revertResize: null })).status).toBe(202);
    expect(sentTo(id, "server.migrateDrop").hostId).toBe(dest);
    const resume = sentTo(id, "server.migrateResume");
    expect(resume).toMatchObject({ hostId: source, payload: { powerOn: true } });
    expect(await show(id)).toMatchObject({ status: "REVERT_RESIZE" });
    expect(await row(id)).toMatchObject({ hostId: source });
    await report(source, { serverId: id, commandId: resume.id, vmState: "active", powerState: 1 });
    expect(await show(id)).toMatchObject({ status: "ACTIVE" });
    expect((await migration(id)).status).toBe("reverted");
    expect((await action(id, { confirmResize: null })).status).toBe(400);
  });

  it("a failure on the source leaves the server ACTIVE there, with the event in error and no claim left", async () => {
    const { id, source, dest } = await activeServer("mig3");
    const destBefore = await used(dest);
    const res = await action(id, { migrate: null }, admin);
    const requestId = res.headers.get("x-compute-request-id")!;
    const out = sentTo(id, "server.migrateOut");
    await report(source, { serverId: id, commandId: out.id, vmState: "active", powerState: 1, fault: { message: "Cold migration failed on the source host: upload failed: 500" } });
    expect(await show(id)).toMatchObject({ status: "ACTIVE", "OS-EXT-STS:task_state": null });
    expect(await row(id)).toMatchObject({ hostId: source });
    expect((await migration(id)).status).toBe("error");
    expect(await used(dest)).toBe(destBefore);
    const detail = (await (await api.request(`/compute/v2.1/servers/${id}/os-instance-actions/${requestId}`, { token: admin })).json()).instanceAction;
    expect(detail.events[0]).toMatchObject({ event: "compute_prep_resize", result: "Error" });
    // A late upload for the failed migration is refused.
    const late = await api.request(diskPath((out.payload as { diskUrl: string }).diskUrl), { method: "PUT", headers: hostAuth(source), body: "x" });
    expect(late.status).toBe(404);
  });

  it("a failure on the destination moves the server back to the source, which starts it again", async () => {
    const { id, source, dest } = await activeServer("mig4");
    const inCmd = await migrateAndUpload(id, source);
    await report(dest, { serverId: id, commandId: inCmd.id, vmState: "error", powerState: 0, fault: { message: "checksum mismatch" } });
    const resume = sentTo(id, "server.migrateResume");
    expect(resume.hostId).toBe(source);
    expect(await row(id)).toMatchObject({ hostId: source, vmState: "active" });
    await report(source, { serverId: id, commandId: resume.id, vmState: "active", powerState: 1 });
    expect(await show(id)).toMatchObject({ status: "ACTIVE" });
    expect((await migration(id)).status).toBe("error");
    const drops = api.bus.sent.filter((m) => m.type === "server.migrateDrop" && (m.payload as { serverId: string }).serverId === id);
    expect(drops.map((d) => d.hostId)).toEqual([dest]);
  });

  it("answers 409 in a wrong state and NoValidHost when no other host fits", async () => {
    const { id, source, dest } = await activeServer("mig5");
    expect((await action(id, { confirmResize: null })).status).toBe(400);
    await api.db.update(hosts).set({ online: false }).where(eq(hosts.id, dest));
    const none = await action(id, { migrate: null }, admin);
    expect(none.status).toBe(400);
    expect((await none.json()).badRequest.message).toMatch(/No valid host was found/);
    expect(await show(id)).toMatchObject({ status: "ACTIVE" });
    await api.db.update(hosts).set({ online: true, lastSeenAt: new Date().toISOString() }).where(eq(hosts.id, dest));
    expect((await action(id, { pause: null })).status).toBe(202);
    await report(source, { serverId: id, commandId: sentTo(id, "server.pause").id, vmState: "paused", powerState: 3 });
    const paused = await action(id, { migrate: null }, admin);
    expect(paused.status).toBe(409);
    expect((await paused.json()).conflictingRequest.message).toBe(`Cannot 'migrate' instance ${id} while it is in vm_state paused`);
  });
});
