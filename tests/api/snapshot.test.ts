import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEnvelope } from "../../shared/src/index.js";
import { ingest } from "../../edge/src/bus/ingest.js";
import { images } from "../../edge/src/db/schema.js";
import { enrollHost } from "../../edge/src/hosts/enroll.js";
import { makeApi, type Api } from "./harness.js";

let api: Api;
let alice: string, bob: string;
let baseImage = "";
let hostAuth = "", otherHostAuth = "";
beforeAll(async () => {
  api = await makeApi();
  ({ alice, bob } = await api.memberTokens());
  baseImage = crypto.randomUUID();
  await api.db.insert(images).values({ id: baseImage, name: "base", owner: api.projects.demo, visibility: "private", status: "active", diskFormat: "qcow2", containerFormat: "bare", checksum: "0".repeat(32), size: 10, minRam: 64 });
  const basic = async (id: string) => `Basic ${btoa(`${id}:${(await enrollHost(api.db, id)).secret}`)}`;
  await api.addHost("host-a");
  hostAuth = await basic("host-a");
  otherHostAuth = await basic("host-b");
});
afterAll(() => api.cleanup());

const hostEvent = (type: Parameters<typeof makeEnvelope>[0], payload: unknown) =>
  ingest({ db: api.db, bus: api.bus, apiBase: "http://nimbus.test" }, "host-a", "events", makeEnvelope(type, payload));
const show = async (id: string) => (await (await api.request(`/compute/v2.1/servers/${id}`, { token: alice })).json()).server;
const action = (id: string, json: unknown, token = alice, headers: Record<string, string> = {}) =>
  api.request(`/compute/v2.1/servers/${id}/action`, { method: "POST", token, json, headers });

async function activeServer() {
  const res = await api.request("/compute/v2.1/servers", { method: "POST", token: alice, json: { server: { name: "s", imageRef: baseImage, flavorRef: "1", networks: "none" } } });
  const id = (await res.json()).server.id as string;
  const cmd = api.bus.sent.find((m) => m.type === "server.create" && (m.payload as { serverId: string }).serverId === id)!;
  await hostEvent("server.state", { serverId: id, commandId: cmd.id, vmState: "active", powerState: 1 });
  return id;
}

describe("Nova createImage (server snapshot)", () => {
  it("queues a snapshot image, tracks task states and accepts the host's upload", async () => {
    const id = await activeServer();
    const res = await action(id, { createImage: { name: "snap", metadata: { purpose: "backup" } } });
    expect(res.status).toBe(202);
    expect(await res.text()).toBe("");
    const imageId = res.headers.get("Location")!.split("/").pop()!;
    expect(res.headers.get("Location")).toBe(`http://nimbus.test/image/v2/images/${imageId}`);
    const img = await (await api.request(`/image/v2/images/${imageId}`, { token: alice })).json();
    expect(img).toMatchObject({
      name: "snap", status: "queued", visibility: "private", owner: api.projects.demo, disk_format: "qcow2", min_ram: 64,
      image_type: "snapshot", instance_uuid: id, base_image_ref: baseImage, purpose: "backup",
    });
    expect((await show(id))["OS-EXT-STS:task_state"]).toBe("image_snapshot");
    expect((await action(id, { createImage: { name: "again" } })).status).toBe(409);
    const cmd = api.bus.sent.find((m) => m.type === "server.snapshot")!;
    expect(cmd).toMatchObject({ hostId: "host-a", payload: { serverId: id, imageId, uploadUrl: `http://nimbus.test/internal/images/${imageId}/file` } });

    await hostEvent("server.progress", { serverId: id, commandId: cmd.id, taskState: "image_uploading", progress: 50 });
    expect((await show(id))["OS-EXT-STS:task_state"]).toBe("image_uploading");
    const upload = (auth: string) => api.request(`/internal/images/${imageId}/file`, { method: "PUT", body: new Uint8Array([1, 2, 3]), headers: { Authorization: auth } });
    expect((await upload(otherHostAuth)).status).toBe(404);
    expect((await upload(hostAuth)).status).toBe(204);
    expect((await upload(hostAuth)).status).toBe(404);
    await hostEvent("server.state", { serverId: id, commandId: cmd.id, vmState: "active", powerState: 1 });
    expect((await show(id))["OS-EXT-STS:task_state"]).toBeNull();
    expect(await (await api.request(`/image/v2/images/${imageId}`, { token: alice })).json()).toMatchObject({ status: "active", size: 3 });
  });

  it("a failed snapshot removes the queued image; others' servers are 404; the image is in Location", async () => {
    const id = await activeServer();
    expect((await action(id, { createImage: { name: "x" } }, bob)).status).toBe(404);
    expect((await action(id, { createImage: {} })).status).toBe(400);
    const res = await action(id, { createImage: { name: "s226" } }, alice, { "X-OpenStack-Nova-API-Version": "2.26" });
    expect(res.status).toBe(202);
    const image_id = res.headers.get("Location")!.split("/").pop()!;
    expect((await api.request(`/internal/images/${image_id}/file`, { method: "DELETE", headers: { Authorization: otherHostAuth } })).status).toBe(404);
    expect((await api.request(`/internal/images/${image_id}/file`, { method: "DELETE", headers: { Authorization: hostAuth } })).status).toBe(204);
    expect((await api.request(`/image/v2/images/${image_id}`, { token: alice })).status).toBe(404);
  });
});
