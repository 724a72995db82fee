import { eq } from "drizzle-orm";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startBenchEdge, type BenchEdge } from "../../bench/edge.js";
import { hosts, routerBindings } from "../../edge/src/db/schema.js";
import { FakeComputeDriver } from "../../host-daemon/src/drivers/compute/fake.js";
import { FakeNetworkDriver } from "../../host-daemon/src/drivers/network/fake.js";
import { FakeStorageDriver } from "../../host-daemon/src/drivers/storage/fake.js";
import { startHost } from "../../host-daemon/src/host.js";
import { FileServerRecords } from "../../host-daemon/src/server-records.js";

/**
 * Two real host daemons (fake drivers) and the edge over the embedded broker: a router lives on
 * one host, moves to the other when the first loses its connection (last will), and the first
 * removes its stale copy when it reconnects.
 */
let b: BenchEdge;
let token = "";
const run = crypto.randomUUID().slice(0, 6);
const daemons = new Map<string, { network: FakeNetworkDriver; host: Awaited<ReturnType<typeof startHost>> }>();

async function startOne(id: string) {
  const { secret } = await b.edge.enroll(id);
  const network = new FakeNetworkDriver();
  const host = await startHost({
    hostId: id, secret, mqttUrl: b.edge.mqttUrl, protocolVersion: 4, stateDir: b.stateDir, heartbeatSeconds: 1, namePrefix: `nimbus-${id}-`, stopGraceSeconds: 1,
    compute: new FakeComputeDriver(), storage: new FakeStorageDriver(), network, records: new FileServerRecords(join(b.stateDir, `host-${id}`, "servers")),
  });
  await host.registered;
  daemons.set(id, { network, host });
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
async function neutron(method: string, path: string, json?: unknown): Promise<Json> {
  const res = await fetch(`${b.publicUrl}/network/v2.0/${path}`, { method, headers: { "X-Auth-Token": token, "Content-Type": "application/json" }, body: json === undefined ? undefined : JSON.stringify(json) });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Json;
}
const bindingOf = async (routerId: string) => (await b.edge.db.select().from(routerBindings).where(eq(routerBindings.routerId, routerId)))[0]?.hostId;

beforeAll(async () => {
  b = await startBenchEdge();
  for (const n of ["a", "b"]) await startOne(`rf${run}-${n}`);
  // Registration is ingested from the broker: wait until both hosts show up.
  await vi.waitFor(async () => expect((await b.edge.db.select().from(hosts)).filter((h) => h.online && h.vcpus > 0)).toHaveLength(2), { timeout: 10_000, interval: 50 });
  const res = await fetch(`${b.publicUrl}/identity/v3/auth/tokens`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ auth: { identity: { methods: ["password"], password: { user: { name: "demo", domain: { name: "Default" }, password: b.passwords.demo } } }, scope: { project: { name: "demo", domain: { name: "Default" } } } } }),
  });
  token = res.headers.get("X-Subject-Token")!;
}, 60_000);

afterAll(async () => {
  for (const d of daemons.values()) await d.host.stop().catch(() => undefined);
  await b?.edge.close();
  await b?.removeState();
});

describe("router failover between hosts", () => {
  it("moves a router off a lost host with its gateway and floating IP, and the host drops it on return", async () => {
    const pub = (await neutron("GET", "networks?name=public")).networks[0].id;
    const net = (await neutron("POST", "networks", { network: { name: "rf" } })).network;
    const subnet = (await neutron("POST", "subnets", { subnet: { network_id: net.id, cidr: "10.66.0.0/24", ip_version: 4 } })).subnet;
    const port = (await neutron("POST", "ports", { port: { network_id: net.id } })).port;
    const router = (await neutron("POST", "routers", { router: { name: "rf", external_gateway_info: { network_id: pub } } })).router;
    await neutron("PUT", `routers/${router.id}/add_router_interface`, { subnet_id: subnet.id });
    const fip = (await neutron("POST", "floatingips", { floatingip: { floating_network_id: pub, port_id: port.id } })).floatingip;

    const first = (await bindingOf(router.id))!;
    const other = [...daemons.keys()].find((id) => id !== first)!;
    const onFirst = daemons.get(first)!.network.routers;
    await expect.poll(() => onFirst.get(router.id)?.floatingIps.length, { timeout: 5000 }).toBe(1);
    const gatewayIp = onFirst.get(router.id)!.gateway!.ip;

    // An abrupt loss: the broker publishes the host's last will, the edge moves its routers.
    const lost = daemons.get(first)!.host.client;
    lost.options.reconnectPeriod = 0;
    lost.stream.destroy();
    const onOther = daemons.get(other)!.network.routers;
    await expect.poll(() => onOther.get(router.id), { timeout: 10_000 }).toBeDefined();
    expect(onOther.get(router.id)!.gateway!.ip).toBe(gatewayIp);
    expect(onOther.get(router.id)!.floatingIps).toEqual([{ floatingIp: fip.floating_ip_address, fixedIp: port.fixed_ips[0].ip_address }]);
    await expect.poll(() => bindingOf(router.id), { timeout: 5000 }).toBe(other); // after the host confirmed
    expect(onFirst.has(router.id)).toBe(true); // the lost host still holds its stale copy

    // It comes back: it reports the router in its inventory and is told to remove it.
    lost.options.reconnectPeriod = 1000;
    lost.reconnect();
    await expect.poll(() => onFirst.has(router.id), { timeout: 10_000 }).toBe(false);
    expect(onOther.has(router.id)).toBe(true);
    expect(await bindingOf(router.id)).toBe(other);
  }, 60_000);
});
