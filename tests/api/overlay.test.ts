import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEnvelope, type OverlayNetwork } from "#shared";
import { ingest } from "../../edge/src/bus/ingest.js";
import { eq } from "drizzle-orm";
import { networkSegments, servers } from "../../edge/src/db/schema.js";
import { makeApi, type Api } from "./harness.js";

let api: Api;
beforeAll(async () => { api = await makeApi(); });
afterAll(async () => { await api.cleanup(); });

const register = (hostId: string, underlayIp: string) =>
  ingest({ db: api.db, bus: api.bus, apiBase: "http://x" }, hostId, "events",
    makeEnvelope("host.register", { hostname: hostId, vcpus: 4, memoryMb: 8192, diskGb: 100, hypervisorType: "QEMU", version: "1", underlayIp }));
const lastOverlay = (hostId: string) =>
  (api.bus.sent.filter((m) => m.hostId === hostId && m.type === "network.overlay").at(-1)?.payload as { networks: OverlayNetwork[] } | undefined)?.networks;

describe("VXLAN overlay", () => {
  it("allocates a distinct VNI per tenant network, none for external ones, and keeps it out of the API", async () => {
    const admin = await api.login("admin", "adminpw", "admin");
    const { alice } = await api.memberTokens();
    const mk = async (token: string, network: Record<string, unknown>) => (await (await api.request("/network/v2.0/networks", { method: "POST", token, json: { network } })).json()).network;
    const [n1, n2] = await Promise.all([mk(alice, { name: "t1" }), mk(alice, { name: "t2" })]);
    const ext = await mk(admin, { name: "ext", "router:external": true });
    const segs = new Map((await api.db.select().from(networkSegments)).map((s) => [s.networkId, s.vni]));
    expect(segs.get(n1.id)).toBeGreaterThan(0);
    expect(segs.get(n2.id)).toBeGreaterThan(0);
    expect(segs.get(n1.id)).not.toBe(segs.get(n2.id));
    expect(segs.has(ext.id)).toBe(false);
    expect(Object.keys(n1).some((k) => k.startsWith("provider:"))).toBe(false);
    // The segment's MTU leaves room for the 50 bytes of VXLAN in a 1500-byte underlay.
    expect(n1.mtu).toBe(1450);
    expect(ext.mtu).toBe(1500);
    const tooBig = await api.request("/network/v2.0/networks", { method: "POST", token: alice, json: { network: { name: "big", mtu: 1500 } } });
    expect(tooBig.status).toBe(400);
    expect((await tooBig.json()).NeutronError.type).toBe("InvalidInput");
    expect((await api.request(`/network/v2.0/networks/${n1.id}`, { method: "PUT", token: alice, json: { network: { mtu: 1451 } } })).status).toBe(400);
    expect((await (await api.request(`/network/v2.0/networks/${n1.id}`, { method: "PUT", token: alice, json: { network: { mtu: 1400 } } })).json()).network.mtu).toBe(1400);
    // A deleted network gives its segment back.
    expect((await api.request(`/network/v2.0/networks/${n2.id}`, { method: "DELETE", token: alice })).status).toBe(204);
    expect((await api.db.select().from(networkSegments)).some((s) => s.networkId === n2.id)).toBe(false);
  });

  it("sends the carriers of a network each other's endpoints when ports bind and unbind, and on host presence", async () => {
    await api.addHost("host-a");
    await api.addHost("host-b");
    await register("host-a", "10.9.0.2");
    await register("host-b", "10.9.0.3");
    const admin = await api.login("admin", "adminpw", "admin");
    await api.unlimitedCompute((await api.projects).admin);
    const image = await api.publicImage();
    const net = (await (await api.request("/network/v2.0/networks", { method: "POST", token: admin, json: { network: { name: "ovl" } } })).json()).network.id as string;
    await api.request("/network/v2.0/subnets", { method: "POST", token: admin, json: { subnet: { network_id: net, cidr: "10.7.0.0/24", ip_version: 4 } } });
    const boot = async (host: string) => {
      const res = await api.request("/compute/v2.1/servers", { method: "POST", token: admin, json: { server: { name: `vm-${host}`, flavorRef: "1", imageRef: image, networks: [{ uuid: net }], availability_zone: `nova:${host}` } } });
      if (res.status !== 202) throw new Error(await res.text());
      return (await res.json()).server.id as string;
    };
    const vni = (await api.db.select().from(networkSegments)).find((s) => s.networkId === net)?.vni;
    await boot("host-a");
    expect(lastOverlay("host-a")).toEqual([expect.objectContaining({ networkId: net, peers: [] })]);
    expect(lastOverlay("host-b")).toEqual([]);
    const onB = await boot("host-b");
    const seg = (await api.db.select().from(networkSegments)).find((s) => s.networkId === net)!;
    expect(seg.vni).toBe(vni); // allocated when the network was created
    expect(lastOverlay("host-a")).toEqual([{ networkId: net, vni: seg.vni, mtu: expect.any(Number), peers: ["10.9.0.3"] }]);
    expect(lastOverlay("host-b")).toEqual([{ networkId: net, vni: seg.vni, mtu: expect.any(Number), peers: ["10.9.0.2"] }]);

    // host-b drops off the bus: host-a stops flooding to it; back online, it is a peer again.
    await ingest({ db: api.db, bus: api.bus, apiBase: "http://x" }, "host-b", "status", { state: "offline", ts: new Date().toISOString() });
    expect(lastOverlay("host-a")![0]!.peers).toEqual([]);
    await ingest({ db: api.db, bus: api.bus, apiBase: "http://x" }, "host-b", "status", { state: "online", ts: new Date().toISOString() });
    expect(lastOverlay("host-a")![0]!.peers).toEqual(["10.9.0.3"]);

    // The server on host-b goes: its port unbinds and host-b no longer carries the network.
    await api.request(`/compute/v2.1/servers/${onB}`, { method: "DELETE", token: admin });
    const cmd = api.bus.sent.filter((m) => m.hostId === "host-b" && m.type === "server.delete").at(-1)!;
    const row = (await api.db.select().from(servers).where(eq(servers.id, onB)))[0]!;
    await ingest({ db: api.db, bus: api.bus, apiBase: "http://x" }, "host-b", "events",
      makeEnvelope("server.state", { serverId: onB, commandId: row.commandId ?? cmd.id, vmState: "deleted", powerState: 0 }));
    expect(lastOverlay("host-a")![0]!.peers).toEqual([]);
    expect(lastOverlay("host-b")).toEqual([]);
  });

  it("tells hosts when a subnet has no DHCP server, so they claim no address on it", async () => {
    const admin = await api.login("admin", "adminpw", "admin");
    const image = await api.publicImage();
    const net = (await (await api.request("/network/v2.0/networks", { method: "POST", token: admin, json: { network: { name: "nodhcp" } } })).json()).network.id as string;
    await api.request("/network/v2.0/subnets", { method: "POST", token: admin, json: { subnet: { network_id: net, cidr: "10.8.0.0/24", ip_version: 4, enable_dhcp: false } } });
    const res = await api.request("/compute/v2.1/servers", { method: "POST", token: admin, json: { server: { name: "nd", flavorRef: "1", imageRef: image, networks: [{ uuid: net }] } } });
    const id = (await res.json()).server.id as string;
    const cmd = api.bus.sent.find((m) => m.type === "server.create" && (m.payload as { serverId: string }).serverId === id)!;
    expect((cmd.payload as { ports: Array<{ dhcp?: boolean }> }).ports[0]!.dhcp).toBe(false);
    const withDhcp = api.bus.sent.find((m) => m.type === "server.create" && (m.payload as { serverId: string }).serverId !== id)!;
    expect((withDhcp.payload as { ports: Array<{ dhcp?: boolean }> }).ports[0]!.dhcp).toBe(true);
  });
});
