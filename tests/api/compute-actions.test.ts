import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEnvelope } from "../../shared/src/index.js";
import { ingest } from "../../edge/src/bus/ingest.js";
import { autoConfirmResizes } from "../../edge/src/compute/actions/resize.js";
import { retryHost } from "../../edge/src/compute/actions/reschedule.js";
import { eq } from "drizzle-orm";
import { hosts } from "../../edge/src/db/schema.js";
import { makeApi, type Api } from "./harness.js";

let api: Api;
let alice: string, bob: string, admin: string;
let imageId: string;

beforeAll(async () => {
  api = await makeApi();
  [alice, bob, admin] = await Promise.all([api.login("alice", "alicepw", "demo"), api.login("bob", "bobpw", "other"), api.login("admin", "adminpw", "admin")]);
  imageId = await api.publicImage();
  // Room for every server these tests build (without ports: the private /29 is small).
  await api.db.update(hosts).set({ vcpus: 64, memoryMb: 65536, diskGb: 1000 }).where(eq(hosts.id, await api.addHost()));
  await api.unlimitedCompute(api.projects.demo);
});
afterAll(() => api.cleanup());

const mv = (v: string) => ({ "OpenStack-API-Version": `compute ${v}` });
const req = (path: string, init: Parameters<Api["request"]>[1] & { version?: string } = {}) =>
  api.request(`/compute/v2.1${path}`, { ...init, headers: { ...(init.version ? mv(init.version) : {}), ...(init.headers as Record<string, string> | undefined) } });
const action = (id: string, body: unknown, token = alice, version?: string) => req(`/servers/${id}/action`, { method: "POST", token, json: body, version });
const show = async (id: string, token = alice, version?: string) => (await (await req(`/servers/${id}`, { token, version })).json()).server;
const hostEvent = (type: Parameters<typeof makeEnvelope>[0], payload: { serverId: string; [k: string]: unknown }) =>
  ingest({ db: api.db, bus: api.bus, apiBase: "http://nimbus.test" }, lastSent(payload.serverId).hostId, "events", makeEnvelope(type, payload));
const lastSent = (serverId: string) => [...api.bus.sent].reverse().find((m) => (m.payload as { serverId?: string }).serverId === serverId)!;
/** The host finishing the server's last command in `vmState`. */
const hostReports = (serverId: string, vmState: "active" | "paused" | "suspended" | "stopped" | "resized", powerState = 1) =>
  hostEvent("server.state", { serverId, commandId: lastSent(serverId).id, vmState, powerState });

async function activeServer(name: string) {
  const res = await req("/servers", { method: "POST", token: alice, json: { server: { name, imageRef: imageId, flavorRef: "1", networks: "none" } } });
  const id = (await res.json()).server.id as string;
  await hostReports(id, "active");
  return { id, createRequest: res.headers.get("x-compute-request-id")! };
}

describe("compute microversions", () => {
  it("advertises 2.26 and negotiates latest, explicit and legacy headers", async () => {
    expect((await (await api.request("/compute/v2.1")).json()).version.version).toBe("2.26");
    const latest = await req("/flavors", { token: alice, version: "latest" });
    expect(latest.headers.get("OpenStack-API-Version")).toBe("compute 2.26");
    expect(latest.headers.get("Vary")).toMatch(/OpenStack-API-Version/);
    const legacy = await req("/flavors", { token: alice, headers: { "X-OpenStack-Nova-API-Version": "2.9" } });
    expect(legacy.headers.get("X-OpenStack-Nova-API-Version")).toBe("2.9");
    expect((await req("/flavors", { token: alice })).headers.get("OpenStack-API-Version")).toBe("compute 2.1");
  });

  it("answers 406 for an unsupported version and 400 for a malformed one", async () => {
    const high = await req("/flavors", { token: alice, version: "2.99" });
    expect(high.status).toBe(406);
    expect((await high.json()).notAcceptable.message).toMatch(/maximum is 2.26/);
    expect((await req("/flavors", { token: alice, version: "two" })).status).toBe(400);
  });

  it("serves keypairs with their type from 2.2 and other users' to admins from 2.10", async () => {
    const created = await req("/os-keypairs", { method: "POST", token: alice, version: "2.2", json: { keypair: { name: "k22" } } });
    expect(created.status).toBe(201);
    expect((await created.json()).keypair.type).toBe("ssh");
    expect((await (await req("/os-keypairs/k22", { token: alice })).json()).keypair).not.toHaveProperty("type");
    const aliceId = (await (await req("/os-keypairs/k22", { token: alice })).json()).keypair.user_id;
    const forAlice = await req("/os-keypairs", { method: "POST", token: admin, version: "2.10", json: { keypair: { name: "by-admin", user_id: aliceId } } });
    expect((await forAlice.json()).keypair.user_id).toBe(aliceId);
    const names = (await (await req("/os-keypairs", { token: alice, version: "2.10" })).json()).keypairs.map((k: { keypair: { name: string } }) => k.keypair.name);
    expect(names).toEqual(["by-admin", "k22"]);
    expect((await req(`/os-keypairs?user_id=${aliceId}`, { token: bob, version: "2.10" })).status).toBe(403);
    expect((await req(`/os-keypairs/k22?user_id=${aliceId}`, { method: "DELETE", token: admin, version: "2.10" })).status).toBe(204);
  });

  it("shapes server views by version and role", async () => {
    const { id } = await activeServer("shapes");
    const v21 = await show(id, alice);
    expect(v21).not.toHaveProperty("locked");
    expect(v21).not.toHaveProperty("tags");
    const v226 = await show(id, alice, "2.26");
    expect(v226).toMatchObject({ locked: false, description: null, tags: [] });
    expect(v226).not.toHaveProperty("host_status");
    expect(v226).not.toHaveProperty("OS-EXT-SRV-ATTR:hostname");
    const asAdmin = await show(id, admin, "2.16");
    expect(asAdmin.host_status).toBe("UP");
    expect(asAdmin["OS-EXT-SRV-ATTR:hostname"]).toBe("shapes");
    expect(asAdmin).not.toHaveProperty("description");
  });

  it("takes a description from 2.19 and refuses it before", async () => {
    const { id } = await activeServer("described");
    expect((await req(`/servers/${id}`, { method: "PUT", token: alice, json: { server: { description: "d" } } })).status).toBe(400);
    const res = await req(`/servers/${id}`, { method: "PUT", token: alice, json: { server: { description: "web tier" } }, version: "2.19" });
    expect(res.status).toBe(200);
    expect((await res.json()).server).toMatchObject({ description: "web tier", locked: false });
  });
});

describe("server list pagination", () => {
  it("links the next page when a limited page is full, and follows it", async () => {
    await activeServer("page-a");
    await activeServer("page-b");
    const first = await (await req("/servers?limit=1", { token: alice })).json();
    expect(first.servers).toHaveLength(1);
    const next = new URL(first.servers_links[0].href);
    expect(next.pathname).toBe("/compute/v2.1/servers");
    expect(next.searchParams.get("marker")).toBe(first.servers[0].id);
    const second = await (await api.request(`${next.pathname}${next.search}`, { token: alice })).json();
    expect(second.servers[0].id).not.toBe(first.servers[0].id);
    const all = await (await req("/servers/detail?limit=1000", { token: alice })).json();
    expect(all).not.toHaveProperty("servers_links");
  });
});

describe("server actions", () => {
  it("pauses and unpauses through the host, with Nova's 409 in the wrong state", async () => {
    const { id } = await activeServer("pausable");
    expect((await action(id, { unpause: null })).status).toBe(409);
    expect((await action(id, { pause: null })).status).toBe(202);
    expect(lastSent(id).type).toBe("server.pause");
    expect((await show(id))["OS-EXT-STS:task_state"]).toBe("pausing");
    const busy = await action(id, { pause: null });
    expect(busy.status).toBe(409);
    expect((await busy.json()).conflictingRequest.message).toBe(`Cannot 'pause' instance ${id} while it is in task_state pausing`);
    await hostReports(id, "paused", 3);
    expect(await show(id)).toMatchObject({ status: "PAUSED", "OS-EXT-STS:task_state": null });
    const again = await action(id, { pause: null });
    expect((await again.json()).conflictingRequest.message).toBe(`Cannot 'pause' instance ${id} while it is in vm_state paused`);
    expect((await action(id, { unpause: null })).status).toBe(202);
    await hostReports(id, "active");
    expect((await show(id)).status).toBe("ACTIVE");
  });

  it("suspends and resumes", async () => {
    const { id } = await activeServer("suspendable");
    expect((await action(id, { suspend: null })).status).toBe(202);
    expect(lastSent(id).type).toBe("server.suspend");
    await hostReports(id, "suspended", 4);
    expect((await show(id)).status).toBe("SUSPENDED");
    expect((await action(id, { "os-stop": null })).status).toBe(409);
    expect((await action(id, { resume: null })).status).toBe(202);
    await hostReports(id, "active");
    expect((await show(id)).status).toBe("ACTIVE");
  });

  it("clears the task when the host cannot be reached", async () => {
    const { id } = await activeServer("unreachable");
    const cast = api.bus.cast;
    api.bus.cast = async () => { throw new Error("broker down"); };
    try {
      expect((await action(id, { pause: null })).status).toBe(500);
    } finally {
      api.bus.cast = cast;
    }
    expect(await show(id)).toMatchObject({ status: "ACTIVE", "OS-EXT-STS:task_state": null });
  });

  it("locks against the owner's changes; an admin's lock only an admin lifts", async () => {
    const { id } = await activeServer("lockable");
    expect((await action(id, { lock: null })).status).toBe(202);
    expect((await show(id, alice, "2.9")).locked).toBe(true);
    const refused = await action(id, { "os-stop": null });
    expect(refused.status).toBe(409);
    expect((await refused.json()).conflictingRequest.message).toMatch(/is locked/);
    expect((await req(`/servers/${id}`, { method: "DELETE", token: alice })).status).toBe(409);
    expect((await action(id, { unlock: null })).status).toBe(202);
    expect((await action(id, { lock: null }, admin)).status).toBe(202);
    expect((await action(id, { unlock: null })).status).toBe(403);
    expect((await action(id, { unlock: null }, admin)).status).toBe(202);
    expect((await action(id, { lock: null }, bob)).status).toBe(404);
  });

  it("rebuilds with a new image and answers the server", async () => {
    const { id } = await activeServer("rebuilt");
    const res = await action(id, { rebuild: { imageRef: imageId, name: "rebuilt-2", metadata: { k: "v" } } });
    expect(res.status).toBe(202);
    const body = (await res.json()).server;
    expect(body).toMatchObject({ id, name: "rebuilt-2", status: "REBUILD", metadata: { k: "v" } });
    expect(typeof body.adminPass).toBe("string");
    const sent = lastSent(id);
    expect(sent.type).toBe("server.rebuild");
    expect((sent.payload as { image: { id: string } }).image.id).toBe(imageId);
    await hostReports(id, "active");
    expect((await show(id)).status).toBe("ACTIVE");
  });

  it("resizes to VERIFY_RESIZE, reverts to the old flavor, then resizes and confirms", async () => {
    const { id } = await activeServer("resizable");
    expect((await action(id, { resize: { flavorRef: "1" } })).status).toBe(400);
    const migrate = await action(id, { migrate: null }, admin);
    expect((await migrate.json()).badRequest.message).toMatch(/No valid host was found/);
    expect((await action(id, { confirmResize: null })).status).toBe(400); // Nova: "Instance has not been resized."
    expect((await action(id, { resize: { flavorRef: "2" } })).status).toBe(202);
    expect(lastSent(id)).toMatchObject({ type: "server.resize", payload: { vcpus: 1, memoryMb: 2048 } });
    expect((await show(id)).status).toBe("RESIZE");
    await hostReports(id, "resized");
    expect(await show(id)).toMatchObject({ status: "VERIFY_RESIZE", flavor: { id: "2" } });
    expect((await action(id, { revertResize: null })).status).toBe(202);
    expect(lastSent(id)).toMatchObject({ type: "server.revertResize", payload: { memoryMb: 512 } });
    expect((await show(id)).status).toBe("REVERT_RESIZE");
    await hostReports(id, "active");
    expect(await show(id)).toMatchObject({ status: "ACTIVE", flavor: { id: "1" } });
    expect((await action(id, { resize: { flavorRef: "2" } })).status).toBe(202);
    await hostReports(id, "resized");
    expect((await action(id, { confirmResize: null })).status).toBe(204);
    expect(lastSent(id).type).toBe("server.confirmResize");
    await hostReports(id, "active");
    expect(await show(id)).toMatchObject({ status: "ACTIVE", flavor: { id: "2" } });
  });
});

describe("resize confirm window", () => {
  it("confirms a waiting resize once the window has passed, on a heartbeat of its host", async () => {
    const { id } = await activeServer("auto-confirmed");
    await action(id, { resize: { flavorRef: "2" } });
    await hostReports(id, "resized");
    const heartbeat = (window: number) => ingest({ db: api.db, bus: api.bus, apiBase: "http://nimbus.test", resizeConfirmWindowSeconds: window }, "host-a", "events", makeEnvelope("host.heartbeat", { runningServers: 1 }));
    await heartbeat(3600);
    expect((await show(id)).status).toBe("VERIFY_RESIZE");
    await autoConfirmResizes({ db: api.db, bus: api.bus }, "host-a", 60, Date.now() + 61_000);
    expect(lastSent(id).type).toBe("server.confirmResize");
    await hostReports(id, "active");
    expect(await show(id)).toMatchObject({ status: "ACTIVE", flavor: { id: "2" } });
    const actions = (await (await req(`/servers/${id}/os-instance-actions`, { token: alice })).json()).instanceActions;
    expect(actions.map((a: { action: string }) => a.action)).toContain("confirmResize");
  });
});

describe("build retries", () => {
  it("sends a failed build to another host, then goes to ERROR when no untried host is left", async () => {
    await api.db.update(hosts).set({ vcpus: 64, memoryMb: 65536, diskGb: 1000 }).where(eq(hosts.id, await api.addHost("host-b")));
    const res = await req("/servers", { method: "POST", token: alice, json: { server: { name: "retried", imageRef: imageId, flavorRef: "1", networks: "none" } } });
    const id = (await res.json()).server.id as string;
    const first = lastSent(id);
    const fail = (host: string, commandId: string) => ingest({ db: api.db, bus: api.bus, apiBase: "http://nimbus.test" }, host, "events",
      makeEnvelope("server.state", { serverId: id, commandId, vmState: "error", powerState: 0, fault: { message: "qemu exploded" } }));
    await fail(first.hostId, first.id);
    const second = lastSent(id);
    expect(second).toMatchObject({ type: "server.create" });
    expect(second.hostId).not.toBe(first.hostId);
    expect((await show(id)).status).toBe("BUILD");
    await fail(second.hostId, second.id);
    expect(lastSent(id).id).toBe(second.id);
    expect(await show(id)).toMatchObject({ status: "ERROR", fault: { message: "qemu exploded" } });
    const actions = (await (await req(`/servers/${id}/os-instance-actions`, { token: alice })).json()).instanceActions;
    const create = (await (await req(`/servers/${id}/os-instance-actions/${actions[0].request_id}`, { token: admin })).json()).instanceAction;
    expect(create.events.map((e: { result: string }) => e.result)).toEqual(["Error", "Error"]);
  });

  it("bounds the attempts", () => {
    const hostsList = ["a", "b", "c", "d"].map((id) => ({ id }));
    expect(retryHost(hostsList, ["a"], (h) => h[0] ?? null)?.id).toBe("b");
    expect(retryHost(hostsList, ["a", "b", "c"], (h) => h[0] ?? null)).toBeNull();
  });
});

describe("server tags (2.26)", () => {
  it("adds, lists, checks, replaces and deletes tags", async () => {
    const { id } = await activeServer("tagged");
    expect((await req(`/servers/${id}/tags`, { token: alice })).status).toBe(404);
    const put = await req(`/servers/${id}/tags/web`, { method: "PUT", token: alice, version: "2.26" });
    expect(put.status).toBe(201);
    expect(put.headers.get("Location")).toMatch(new RegExp(`/servers/${id}/tags/web$`));
    expect((await req(`/servers/${id}/tags/web`, { method: "PUT", token: alice, version: "2.26" })).status).toBe(204);
    expect((await req(`/servers/${id}/tags/web`, { token: alice, version: "2.26" })).status).toBe(204);
    expect((await req(`/servers/${id}/tags/db`, { token: alice, version: "2.26" })).status).toBe(404);
    const replaced = await req(`/servers/${id}/tags`, { method: "PUT", token: alice, version: "2.26", json: { tags: ["a", "b", "a"] } });
    expect((await replaced.json()).tags).toEqual(["a", "b"]);
    expect((await show(id, alice, "2.26")).tags).toEqual(["a", "b"]);
    expect((await req(`/servers/${id}/tags`, { method: "PUT", token: alice, version: "2.26", json: { tags: ["x/y"] } })).status).toBe(400);
    const listed = async (q: string) => (await (await req(`/servers?${q}`, { token: alice, version: "2.26" })).json()).servers.map((x: { id: string }) => x.id);
    expect(await listed("tags=a,b")).toEqual([id]);
    expect(await listed("tags=a,zz")).toEqual([]);
    expect(await listed("tags-any=zz,b")).toEqual([id]);
    expect(await listed("not-tags-any=b")).not.toContain(id);
    expect(await listed("not-tags=a,zz")).toContain(id);
    expect((await req(`/servers/${id}/tags`, { method: "DELETE", token: alice, version: "2.26" })).status).toBe(204);
    expect((await (await req(`/servers/${id}/tags`, { token: alice, version: "2.26" })).json()).tags).toEqual([]);
    expect((await req(`/servers/${id}/tags`, { token: bob, version: "2.26" })).status).toBe(404);
  });
});

describe("instance actions", () => {
  it("records create and each action with events that finish when the host reports", async () => {
    const { id, createRequest } = await activeServer("audited");
    await action(id, { reboot: { type: "HARD" } });
    await hostReports(id, "active");
    const list = (await (await req(`/servers/${id}/os-instance-actions`, { token: alice })).json()).instanceActions;
    expect(list.map((a: { action: string }) => a.action).sort()).toEqual(["create", "reboot"]);
    const mine = (await (await req(`/servers/${id}/os-instance-actions/${createRequest}`, { token: alice })).json()).instanceAction;
    expect(mine).toMatchObject({ action: "create", instance_uuid: id, request_id: createRequest, message: null });
    expect(mine).not.toHaveProperty("events");
    const asAdmin = (await (await req(`/servers/${id}/os-instance-actions/${createRequest}`, { token: admin })).json()).instanceAction;
    expect(asAdmin.events).toEqual([expect.objectContaining({ event: "compute__do_build_and_run_instance", result: "Success", finish_time: expect.any(String) })]);
    expect((await req(`/servers/${id}/os-instance-actions/req-nope`, { token: alice })).status).toBe(404);
    expect((await req(`/servers/${id}/os-instance-actions`, { token: bob })).status).toBe(404);
  });

  it("keeps a deleted server's actions visible from 2.21", async () => {
    const { id } = await activeServer("gone");
    await req(`/servers/${id}`, { method: "DELETE", token: alice });
    await hostEvent("server.state", { serverId: id, commandId: lastSent(id).id, vmState: "deleted", powerState: 0 });
    expect((await req(`/servers/${id}/os-instance-actions`, { token: alice })).status).toBe(404);
    const list = (await (await req(`/servers/${id}/os-instance-actions`, { token: alice, version: "2.21" })).json()).instanceActions;
    expect(list.map((a: { action: string }) => a.action).sort()).toEqual(["create", "delete"]);
  });
});
