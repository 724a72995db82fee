import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { makeEnvelope } from "../../shared/src/index.js";
import { ingest } from "../../edge/src/bus/ingest.js";
import { hosts, routerBindings } from "../../edge/src/db/schema.js";
import { ensureNetwork } from "../../edge/src/node/bootstrap.js";
import { RecordingBus, makeApi, type Api } from "./harness.js";

let api: Api;
let alice: string;
let publicNet: string;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const deps = () => ({ db: api.db, bus: api.bus, apiBase: "http://nimbus.test" });
const call = async (method: string, path: string, json?: unknown): Promise<{ status: number; body: Json }> => {
  const res = await api.request(`/network/v2.0/${path}`, { method, token: alice, json });
  return { status: res.status, body: res.status === 204 ? {} : await res.json() };
};
const make = async (path: string, json: Json) => {
  const r = await call("POST", path, json);
  if (r.status !== 201) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return Object.values(r.body)[0] as Json;
};
const status = (hostId: string, state: "online" | "offline") => ingest(deps(), hostId, "status", { state, ts: new Date().toISOString() });
const register = (hostId: string, externalNetworks?: string[]) => ingest(deps(), hostId, "events",
  makeEnvelope("host.register", { hostname: hostId, vcpus: 4, memoryMb: 8192, diskGb: 100, hypervisorType: "QEMU", version: "1", ...(externalNetworks ? { externalNetworks } : {}) }));
const inventory = (hostId: string, routers?: string[]) => ingest(deps(), hostId, "events", makeEnvelope("host.inventory", { domains: [], ...(routers ? { routers } : {}) }));
const bindingOf = async (routerId: string) => (await api.db.select().from(routerBindings).where(eq(routerBindings.routerId, routerId)))[0];
/** Commands sent from now on while `fn` runs. */
async function sentDuring(fn: () => Promise<unknown>) {
  const before = api.bus.sent.length;
  await fn();
  return api.bus.sent.slice(before).map((m) => ({ hostId: m.hostId, type: m.type, routerId: (m.payload as Json).routerId ?? (m.payload as Json).router?.routerId, payload: m.payload as Json }));
}

/** A router with a gateway on `public`, an interface on a tenant subnet and a floating IP. */
async function fullRouter(cidr: string) {
  const net = await make("networks", { network: { name: "t" } });
  const subnet = await make("subnets", { subnet: { network_id: net.id, cidr, ip_version: 4 } });
  const port = await make("ports", { port: { network_id: net.id } });
  const router = await make("routers", { router: { name: "r", external_gateway_info: { network_id: publicNet } } });
  await call("PUT", `routers/${router.id}/add_router_interface`, { subnet_id: subnet.id });
  const fip = await make("floatingips", { floatingip: { floating_network_id: publicNet, port_id: port.id } });
  return { router, fip, port };
}

beforeAll(async () => {
  api = await makeApi();
  ({ alice } = await api.memberTokens());
  publicNet = await ensureNetwork(api.db, { name: "public", projectId: api.projects.admin, cidr: "172.24.4.0/24", external: true, dhcp: false });
  await api.addHost("host-a");
  await api.addHost("host-b");
});
afterAll(() => api.cleanup());
beforeEach(() => {
  api.bus.call = RecordingBus.prototype.call; // tests below may make hosts fail
});

describe("router scheduling across hosts", () => {
  let r1: Awaited<ReturnType<typeof fullRouter>>;
  let r2: Awaited<ReturnType<typeof fullRouter>>;

  it("spreads routers over the hosts, least loaded first", async () => {
    const sent = await sentDuring(async () => { r1 = await fullRouter("10.61.0.0/24"); r2 = await fullRouter("10.62.0.0/24"); });
    expect((await bindingOf(r1.router.id)).hostId).toBe("host-a");
    expect((await bindingOf(r2.router.id)).hostId).toBe("host-b");
    const routerCmds = sent.filter((m) => m.type === "network.router");
    expect(new Set(routerCmds.filter((m) => m.routerId === r1.router.id).map((m) => m.hostId))).toEqual(new Set(["host-a"]));
    expect(new Set(routerCmds.filter((m) => m.routerId === r2.router.id).map((m) => m.hostId))).toEqual(new Set(["host-b"]));
  });

  it("moves a lost host's routers to another host with the same gateway IP, SNAT and floating IPs", async () => {
    const sent = await sentDuring(() => status("host-a", "offline"));
    const moved = sent.filter((m) => m.type === "network.router" && m.routerId === r1.router.id);
    expect(moved.map((m) => m.hostId)).toEqual(["host-b"]);
    const spec = moved[0].payload.router;
    expect(spec.gateway).toMatchObject({ networkId: publicNet, ip: r1.router.external_gateway_info.external_fixed_ips[0].ip_address, enableSnat: true });
    expect(spec.floatingIps).toEqual([{ floatingIp: r1.fip.floating_ip_address, fixedIp: r1.port.fixed_ips[0].ip_address }]);
    expect(sent.some((m) => m.hostId === "host-a")).toBe(false); // it is gone: nothing is sent there now
    expect((await bindingOf(r1.router.id)).hostId).toBe("host-b");
    // Later changes of the router go to its new host.
    const update = await sentDuring(() => call("PUT", `routers/${r1.router.id}`, { router: { name: "renamed" } }));
    expect(update.filter((m) => m.routerId === r1.router.id).map((m) => m.hostId)).toEqual(["host-b"]);
  });

  it("has the returning host remove the stale namespace, once", async () => {
    await status("host-a", "online");
    const back = await sentDuring(() => inventory("host-a"));
    expect(back.filter((m) => m.type === "network.router-delete")).toEqual([expect.objectContaining({ hostId: "host-a", routerId: r1.router.id })]);
    expect(back.some((m) => m.type === "network.router" && m.hostId === "host-a")).toBe(false); // it does not take the router back
    const again = await sentDuring(() => inventory("host-a"));
    expect(again.filter((m) => m.type === "network.router-delete")).toEqual([]);
  });

  it("removes namespaces a host reports for routers that are not placed on it", async () => {
    const ghost = crypto.randomUUID();
    const sent = await sentDuring(() => inventory("host-a", [ghost, r2.router.id]));
    expect(sent.filter((m) => m.type === "network.router-delete").map((m) => [m.hostId, m.routerId]).sort())
      .toEqual([["host-a", ghost], ["host-a", r2.router.id]].sort());
  });

  it("leaves a router unscheduled with the reason when the other host fails, and places it when a host comes back", async () => {
    api.bus.call = async (hostId, type, payload) => {
      api.bus.sent.push({ hostId, type, payload, id: crypto.randomUUID() });
      throw new Error("nft: syntax error");
    };
    const sent = await sentDuring(() => status("host-b", "offline"));
    // host-a takes r2 (least loaded) and fails; it is told to drop what it built; nothing else is left.
    expect(sent.filter((m) => m.routerId === r2.router.id).map((m) => [m.hostId, m.type])).toEqual([["host-a", "network.router"], ["host-a", "network.router-delete"]]);
    const b = await bindingOf(r2.router.id);
    expect(b.hostId).toBeNull();
    expect(b.reason).toMatch(/host-a failed to build the router: nft: syntax error/);
    api.bus.call = RecordingBus.prototype.call;
    await status("host-b", "online");
    const retry = await sentDuring(() => inventory("host-b"));
    expect(retry.filter((m) => m.type === "network.router" && m.routerId === r2.router.id).length).toBeGreaterThan(0);
    expect((await bindingOf(r2.router.id)).hostId).not.toBeNull();
  });

  it("places routers only on hosts that reach their external network", async () => {
    await register("host-a", ["some-other-external"]);
    await register("host-b", ["public"]);
    const r3 = await fullRouter("10.63.0.0/24");
    expect((await bindingOf(r3.router.id)).hostId).toBe("host-b");
    await register("host-a");
    await register("host-b");
  });

  it("moves routers off a host that went silent without a last will, on another host's heartbeat", async () => {
    const r = await make("routers", { router: { name: "quiet", external_gateway_info: { network_id: publicNet } } });
    const silent = (await bindingOf(r.id)).hostId!;
    const other = silent === "host-a" ? "host-b" : "host-a";
    await api.db.update(hosts).set({ lastSeenAt: new Date(Date.now() - 3_600_000).toISOString() }).where(eq(hosts.id, silent));
    const sent = await sentDuring(() => ingest(deps(), other, "events", makeEnvelope("host.heartbeat", { runningServers: 0 })));
    expect(sent.filter((m) => m.routerId === r.id).map((m) => [m.hostId, m.type])).toEqual([[other, "network.router"]]);
    expect((await bindingOf(r.id)).hostId).toBe(other);
    await api.db.update(hosts).set({ lastSeenAt: new Date().toISOString() }).where(eq(hosts.id, silent));
  });

  it("sends a deleted router's removal to its host and forgets the placement", async () => {
    const r = await make("routers", { router: { name: "gone" } });
    const hostId = (await bindingOf(r.id)).hostId;
    expect(hostId).not.toBeNull();
    const sent = await sentDuring(() => call("DELETE", `routers/${r.id}`));
    expect(sent.filter((m) => m.type === "network.router-delete")).toEqual([expect.objectContaining({ hostId, routerId: r.id })]);
    expect(await bindingOf(r.id)).toBeUndefined();
  });
});
