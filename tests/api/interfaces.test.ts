import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEnvelope } from "../../shared/src/index.js";
import { ingest } from "../../edge/src/bus/ingest.js";
import { makeApi, type Api } from "./harness.js";

let api: Api;
let alice: string, bob: string;
let serverId: string;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const nova = async (method: string, path: string, token: string, json?: unknown) => {
  const res = await api.request(`/compute/v2.1/servers/${path}`, { method, token, json });
  return { status: res.status, body: res.status === 202 ? {} : ((await res.json()) as Json) };
};

beforeAll(async () => {
  api = await makeApi();
  ({ alice, bob } = await api.memberTokens());
  await api.addHost();
  const imageId = await api.publicImage();
  const res = await api.request("/compute/v2.1/servers", { method: "POST", token: alice, json: { server: { name: "vm", imageRef: imageId, flavorRef: "1", networks: "none" } } });
  serverId = (await res.json()).server.id;
  const build = api.bus.sent.find((m) => m.type === "server.create")!;
  await ingest({ db: api.db, bus: api.bus, apiBase: "http://nimbus.test" }, "host-a", "events", makeEnvelope("server.state", { serverId, commandId: build.id, vmState: "active", powerState: 1 }));
});
afterAll(() => api.cleanup());

describe("os-interface", () => {
  it("attaches a new port on a network to a running server and detaches it", async () => {
    const attached = await nova("POST", `${serverId}/os-interface`, alice, { interfaceAttachment: { net_id: api.privateNet } });
    expect(attached.status).toBe(200);
    const att = attached.body.interfaceAttachment;
    expect(att).toMatchObject({ net_id: api.privateNet, port_state: "DOWN", fixed_ips: [expect.objectContaining({ ip_address: expect.stringMatching(/^10\.0\.0\./) })] });
    expect(api.bus.sent.at(-1)).toMatchObject({ type: "server.interface-attach", hostId: "host-a", payload: { serverId, port: { portId: att.port_id, mac: att.mac_addr } } });
    expect((await nova("GET", `${serverId}/os-interface`, alice)).body.interfaceAttachments.map((a: Json) => a.port_id)).toEqual([att.port_id]);
    expect((await nova("GET", `${serverId}/os-interface`, bob)).status).toBe(404);

    expect((await nova("DELETE", `${serverId}/os-interface/${att.port_id}`, alice)).status).toBe(202);
    expect(api.bus.sent.some((m) => m.type === "server.interface-detach" && (m.payload as Json).port.portId === att.port_id)).toBe(true);
    expect((await nova("GET", `${serverId}/os-interface/${att.port_id}`, alice)).status).toBe(404);
    expect((await api.request(`/network/v2.0/ports/${att.port_id}`, { token: alice })).status).toBe(404);
  });

  it("attaches a user's port and leaves it behind, unbound, on detach", async () => {
    const net = (await (await api.request("/network/v2.0/networks", { method: "POST", token: alice, json: { network: { name: "n" } } })).json()).network;
    await api.request("/network/v2.0/subnets", { method: "POST", token: alice, json: { subnet: { network_id: net.id, cidr: "10.60.0.0/24", ip_version: 4 } } });
    const port = (await (await api.request("/network/v2.0/ports", { method: "POST", token: alice, json: { port: { network_id: net.id } } })).json()).port;
    expect((await nova("POST", `${serverId}/os-interface`, alice, { interfaceAttachment: { port_id: port.id } })).status).toBe(200);
    expect((await nova("POST", `${serverId}/os-interface`, alice, { interfaceAttachment: { port_id: port.id } })).status).toBe(409);
    expect((await nova("DELETE", `${serverId}/os-interface/${port.id}`, alice)).status).toBe(202);
    const after = (await (await api.request(`/network/v2.0/ports/${port.id}`, { token: alice })).json()).port;
    expect(after).toMatchObject({ device_id: "", device_owner: "" });
  });
});
