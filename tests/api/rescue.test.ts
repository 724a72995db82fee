import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEnvelope, type EventPayload } from "../../shared/src/index.js";
import { ingest } from "../../edge/src/bus/ingest.js";
import { makeApi, type Api } from "./harness.js";

let api: Api;
let alice: string, rita: string, admin: string, imageId: string;

beforeAll(async () => {
  api = await makeApi();
  [alice, rita, admin] = await Promise.all([api.login("alice", "alicepw", "demo"), api.login("rita", "ritapw", "demo"), api.login("admin", "adminpw", "admin")]);
  imageId = await api.publicImage();
  await api.addHost("host-a");
  await api.unlimitedCompute(api.projects.demo);
});
afterAll(() => api.cleanup());

const action = (id: string, body: unknown, token = alice) => api.request(`/compute/v2.1/servers/${id}/action`, { method: "POST", token, json: body });
const show = async (id: string) => (await (await api.request(`/compute/v2.1/servers/${id}`, { token: alice })).json()).server;
const sentTo = (serverId: string, type: string) => [...api.bus.sent].reverse().find((m) => m.type === type && (m.payload as { serverId?: string }).serverId === serverId)!;
const report = (p: EventPayload<"server.state">) => ingest({ db: api.db, bus: api.bus, apiBase: "http://nimbus.test" }, "host-a", "events", makeEnvelope("server.state", p));

async function activeServer(name: string) {
  const res = await api.request("/compute/v2.1/servers", { method: "POST", token: alice, json: { server: { name, imageRef: imageId, flavorRef: "1", networks: "none" } } });
  const id = (await res.json()).server.id as string;
  await report({ serverId: id, commandId: sentTo(id, "server.create").id, vmState: "active", powerState: 1 });
  return id;
}

describe("rescue", () => {
  it("rescues into RESCUE with an admin password, refuses what RESCUE does not allow, and unrescues to ACTIVE", async () => {
    const id = await activeServer("resc1");
    expect((await action(id, { rescue: null }, rita)).status).toBe(403);
    const res = await action(id, { rescue: { adminPass: "s3cret" } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ adminPass: "s3cret" });
    const cmd = sentTo(id, "server.rescue");
    expect(cmd.payload).toMatchObject({ serverId: id, image: { id: imageId }, memoryMb: 512, powerOn: true });
    expect(await show(id)).toMatchObject({ "OS-EXT-STS:task_state": "rescuing" });
    await report({ serverId: id, commandId: cmd.id, vmState: "rescued", powerState: 1 });
    expect(await show(id)).toMatchObject({ status: "RESCUE", "OS-EXT-STS:vm_state": "rescued" });
    expect((await action(id, { rescue: null })).status).toBe(409);
    expect((await action(id, { "os-stop": null })).status).toBe(409);
    expect((await action(id, { unrescue: null })).status).toBe(202);
    const un = sentTo(id, "server.unrescue");
    expect(un.payload).toMatchObject({ serverId: id, powerOn: true });
    await report({ serverId: id, commandId: un.id, vmState: "active", powerState: 1 });
    expect(await show(id)).toMatchObject({ status: "ACTIVE" });
    expect((await action(id, { unrescue: null })).status).toBe(409);
    const actions = (await (await api.request(`/compute/v2.1/servers/${id}/os-instance-actions`, { token: alice })).json()).instanceActions;
    expect(actions.map((a: { action: string }) => a.action)).toEqual(expect.arrayContaining(["rescue", "unrescue"]));
  });

  it("generates a password, takes another image, and a failed rescue leaves the server ACTIVE with the event in error", async () => {
    const id = await activeServer("resc2");
    const other = await api.publicImage();
    const res = await action(id, { rescue: { rescue_image_ref: other } });
    expect((await res.json()).adminPass).toMatch(/^[0-9a-f]{12}$/);
    const cmd = sentTo(id, "server.rescue");
    expect(cmd.payload).toMatchObject({ image: { id: other } });
    await report({ serverId: id, commandId: cmd.id, vmState: "active", powerState: 1, fault: { message: "Rescue failed: no space" } });
    expect(await show(id)).toMatchObject({ status: "ACTIVE", "OS-EXT-STS:task_state": null });
    const requestId = res.headers.get("x-compute-request-id")!;
    const detail = (await (await api.request(`/compute/v2.1/servers/${id}/os-instance-actions/${requestId}`, { token: admin })).json()).instanceAction;
    expect(detail.events[0]).toMatchObject({ event: "compute_rescue_instance", result: "Error" });
    expect((await action(id, { rescue: { rescue_image_ref: crypto.randomUUID() } })).status).toBe(400);
  });
});
