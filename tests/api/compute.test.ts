import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEnvelope } from "../../shared/src/index.js";
import { ingest } from "../../edge/src/bus/ingest.js";
import { images } from "../../edge/src/db/schema.js";
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

const create = (token: string, server: Record<string, unknown>) => api.request("/compute/v2.1/servers", { method: "POST", token, json: { server } });
const show = async (id: string, token = alice) => (await (await api.request(`/compute/v2.1/servers/${id}`, { token })).json()).server;
const hostEvent = (type: Parameters<typeof makeEnvelope>[0], payload: unknown, host = "host-a") =>
  ingest({ db: api.db, bus: api.bus, apiBase: "http://nimbus.test" }, host, "events", makeEnvelope(type, payload));

describe("compute", () => {
  it("answers version discovery with v2.0 first", async () => {
    const body = await (await api.request("/compute/")).json();
    expect(body.versions[0].id).toBe("v2.0");
  });

  it("lists seeded flavors with only id, links and name", async () => {
    const body = await (await api.request("/compute/v2.1/flavors", { token: alice })).json();
    expect(body.flavors.map((f: { name: string }) => f.name)).toEqual(["m1.tiny", "m1.small", "m1.medium"]);
    expect(Object.keys(body.flavors[0]).sort()).toEqual(["id", "links", "name"]);
  });

  it("puts a server in ERROR with a fault when no host is up", async () => {
    const res = await create(alice, { name: "lonely", imageRef: imageId, flavorRef: "1" });
    expect(res.status).toBe(202);
    const server = await show((await res.json()).server.id);
    expect(server.status).toBe("ERROR");
    expect(server.fault.message).toMatch(/No valid host/);
  });

  it("rejects bad input with Nova's errors and creates nothing", async () => {
    const before = (await (await api.request("/compute/v2.1/servers", { token: alice })).json()).servers.length;
    const badFlavor = await create(alice, { name: "x", imageRef: imageId, flavorRef: "nope" });
    expect(badFlavor.status).toBe(400);
    expect((await badFlavor.json()).badRequest.message).toMatch(/Flavor nope/);
    expect((await create(alice, { name: "x", imageRef: crypto.randomUUID(), flavorRef: "1" })).status).toBe(400);
    expect((await create(alice, { name: "x", imageRef: imageId, flavorRef: "1", networks: [{ uuid: crypto.randomUUID() }] })).status).toBe(400);
    expect((await create(alice, { imageRef: imageId, flavorRef: "1" })).status).toBe(400);
    const malformed = await api.request("/compute/v2.1/servers", { method: "POST", token: alice, body: "{", headers: { "Content-Type": "application/json" } });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toHaveProperty("badRequest");
    const after = (await (await api.request("/compute/v2.1/servers", { token: alice })).json()).servers.length;
    expect(after).toBe(before);
  });

  it("forbids readers from creating servers", async () => {
    const res = await create(rita, { name: "x", imageRef: imageId, flavorRef: "1" });
    expect(res.status).toBe(403);
    expect(await res.json()).toHaveProperty("forbidden");
  });

  it("builds on a host, follows its reports, guards actions and deletes", async () => {
    const hostId = await api.addHost();
    const res = await create(alice, { name: "vm1", imageRef: imageId, flavorRef: "1", networks: [{ uuid: api.privateNet }] });
    const id = (await res.json()).server.id;
    const cmd = api.bus.sent.find((m) => m.type === "server.create" && (m.payload as { serverId: string }).serverId === id)!;
    expect(cmd.hostId).toBe(hostId);
    const payload = cmd.payload as { ports: Array<{ ip: string; dhcpServerIp: string; mac: string }>; image: { url: string } };
    expect(payload.ports).toHaveLength(1);
    expect(payload.ports[0].ip).toBe("10.0.0.3"); // .1 gateway, .2 DHCP
    expect(payload.ports[0].dhcpServerIp).toBe("10.0.0.2");
    expect(payload.image.url).toBe(`http://nimbus.test/internal/images/${imageId}/file`);
    expect((await show(id)).status).toBe("BUILD");

    await hostEvent("server.progress", { serverId: id, commandId: cmd.id, taskState: "spawning", progress: 70 });
    expect((await show(id))["OS-EXT-STS:task_state"]).toBe("spawning");
    await hostEvent("server.state", { serverId: id, commandId: cmd.id, vmState: "active", powerState: 1 });
    const active = await show(id);
    expect(active.status).toBe("ACTIVE");
    expect(active.addresses.private[0].addr).toBe("10.0.0.3");

    expect((await api.request(`/compute/v2.1/servers/${id}/action`, { method: "POST", token: alice, json: { "os-start": null } })).status).toBe(409);
    expect((await api.request(`/compute/v2.1/servers/${id}/action`, { method: "POST", token: alice, json: { "os-stop": null } })).status).toBe(202);
    expect((await show(id))["OS-EXT-STS:task_state"]).toBe("powering-off");
    expect((await api.request(`/compute/v2.1/servers/${id}/action`, { method: "POST", token: alice, json: { "os-stop": null } })).status).toBe(409);
    const stop = api.bus.sent.at(-1)!;
    expect(stop.type).toBe("server.stop");
    await hostEvent("server.state", { serverId: id, commandId: stop.id, vmState: "stopped", powerState: 4 });
    expect((await show(id)).status).toBe("SHUTOFF");

    expect((await api.request(`/compute/v2.1/servers/${id}`, { method: "DELETE", token: alice })).status).toBe(204);
    const del = api.bus.sent.at(-1)!;
    expect(del.type).toBe("server.delete");
    await hostEvent("server.state", { serverId: id, commandId: del.id, vmState: "deleted", powerState: 0 });
    expect((await api.request(`/compute/v2.1/servers/${id}`, { token: alice })).status).toBe(404);
    const ports = (await (await api.request(`/network/v2.0/ports?device_id=${id}`, { token: alice })).json()).ports;
    expect(ports).toHaveLength(0);
  });

  it("ignores a stale report from a superseded command", async () => {
    const res = await create(alice, { name: "vm2", imageRef: imageId, flavorRef: "1", networks: [{ uuid: api.privateNet }] });
    const id = (await res.json()).server.id;
    await hostEvent("server.state", { serverId: id, commandId: crypto.randomUUID(), vmState: "active", powerState: 1 });
    expect((await show(id)).status).toBe("BUILD");
  });

  it("keeps projects apart: another project's server is invisible", async () => {
    const res = await create(alice, { name: "private-vm", imageRef: imageId, flavorRef: "1", networks: [{ uuid: api.privateNet }] });
    const id = (await res.json()).server.id;
    expect((await api.request(`/compute/v2.1/servers/${id}`, { token: bob })).status).toBe(404);
    expect((await api.request(`/compute/v2.1/servers/${id}`, { method: "DELETE", token: bob })).status).toBe(404);
    const bobs = (await (await api.request("/compute/v2.1/servers", { token: bob })).json()).servers;
    expect(bobs.find((s: { id: string }) => s.id === id)).toBeUndefined();
    expect((await api.request(`/compute/v2.1/servers/${id}`, { token: admin })).status).toBe(200);
    expect((await api.request(`/compute/v2.1/servers/${id}`, { token: rita })).status).toBe(200);
  });

  it("marks a server ERROR when its host reports a failed build", async () => {
    const res = await create(alice, { name: "doomed", imageRef: imageId, flavorRef: "1", networks: [{ uuid: api.privateNet }] });
    const id = (await res.json()).server.id;
    const cmd = api.bus.sent.find((m) => (m.payload as { serverId?: string }).serverId === id)!;
    await hostEvent("server.state", { serverId: id, commandId: cmd.id, vmState: "error", powerState: 0, fault: { message: "checksum mismatch" } });
    const s = await show(id);
    expect(s.status).toBe("ERROR");
    expect(s.fault.message).toBe("checksum mismatch");
    expect(s["OS-EXT-STS:task_state"]).toBeNull();
  });
});

describe("server update", () => {
  it("renames and sets access addresses, rejecting bad ones", async () => {
    const res = await create(alice, { name: "old", imageRef: imageId, flavorRef: "1", accessIPv4: "192.0.2.7" });
    const id = (await res.json()).server.id;
    expect((await show(id)).accessIPv4).toBe("192.0.2.7");
    const put = await api.request(`/compute/v2.1/servers/${id}`, { method: "PUT", token: alice, json: { server: { name: "new", accessIPv6: "2001:db8::7" } } });
    expect(put.status).toBe(200);
    const body = (await put.json()).server;
    expect(body).toMatchObject({ name: "new", accessIPv4: "192.0.2.7", accessIPv6: "2001:db8::7" });
    expect(body).not.toHaveProperty("OS-EXT-STS:vm_state");
    expect((await api.request(`/compute/v2.1/servers/${id}`, { method: "PUT", token: alice, json: { server: { name: "" } } })).status).toBe(400);
    expect((await create(alice, { name: "x", imageRef: imageId, flavorRef: "1", accessIPv4: "1.1.1.300" })).status).toBe(400);
  });
});

describe("multi-create and addresses", () => {
  it("creates min_count servers named <name>-<n> and lists their IPs per network", async () => {
    const res = await create(alice, { name: "batch", imageRef: imageId, flavorRef: "1", min_count: 2, networks: "none" });
    expect(res.status).toBe(202);
    const names = (await (await api.request("/compute/v2.1/servers?name=^batch-", { token: alice })).json()).servers.map((s: { name: string }) => s.name).sort();
    expect(names).toEqual(["batch-1", "batch-2"]);
    expect((await create(alice, { name: "x", imageRef: imageId, flavorRef: "1", min_count: 3, max_count: 2 })).status).toBe(400);
    expect((await create(alice, { name: "x", imageRef: imageId, flavorRef: "1", metadata: { "": "v" } })).status).toBe(400);
  });

  it("answers /ips for a server's networks", async () => {
    const net = (await (await api.request("/network/v2.0/networks", { method: "POST", token: alice, json: { network: { name: "ipsnet" } } })).json()).network;
    await api.request("/network/v2.0/subnets", { method: "POST", token: alice, json: { subnet: { network_id: net.id, cidr: "10.77.0.0/24", ip_version: 4 } } });
    const res = await create(alice, { name: "ips", imageRef: imageId, flavorRef: "1", networks: [{ uuid: net.id }] });
    const id = (await res.json()).server.id;
    const ips = await (await api.request(`/compute/v2.1/servers/${id}/ips`, { token: alice })).json();
    expect(ips.addresses).toEqual({ ipsnet: [{ version: 4, addr: "10.77.0.3" }] });
    expect((await api.request(`/compute/v2.1/servers/${id}/ips/ipsnet`, { token: alice })).status).toBe(200);
    expect((await api.request(`/compute/v2.1/servers/${id}/ips/nope`, { token: alice })).status).toBe(404);
  });
});
