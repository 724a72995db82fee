import { describe, expect, it } from "vitest";
import { makeEnvelope, type Envelope, type PortSpec } from "#shared";
import { HostDaemon } from "./daemon.js";
import { MemoryServerRecords } from "./server-records.js";
import { FakeComputeDriver } from "./drivers/compute/fake.js";
import { FakeNetworkDriver } from "./drivers/network/fake.js";
import { FakeStorageDriver } from "./drivers/storage/fake.js";

const port: PortSpec = { portId: "p1", networkId: "n1", mac: "fa:16:3e:00:00:01", ip: "10.0.0.3", prefixLength: 24, gateway: "10.0.0.1", dhcpServerIp: "10.0.0.2", mtu: 1500 };
const createPayload = (serverId = "s1") => ({
  serverId, name: "vm", vcpus: 1, memoryMb: 512, diskGb: 1, ports: [port],
  image: { id: "img", checksum: "0".repeat(32), size: 1, diskFormat: "qcow2", url: "http://api/internal/images/img/file" },
});

function setup() {
  const compute = new FakeComputeDriver();
  const storage = new FakeStorageDriver();
  const network = new FakeNetworkDriver();
  const events: Envelope[] = [];
  const replies: Array<{ topic: string; msg: any }> = [];
  const daemon = new HostDaemon({
    compute, storage, network, records: new MemoryServerRecords(), namePrefix: "nimbus-", stopGraceSeconds: 1,
    emit: async (m) => { events.push(m); },
    reply: async (topic, msg) => { replies.push({ topic, msg }); },
  });
  const send = (type: string, payload: unknown, id?: string, replyTo?: string) => {
    const env = makeEnvelope(type, payload, id);
    if (replyTo) env.replyTo = replyTo;
    return daemon.handle(new TextEncoder().encode(JSON.stringify(env)));
  };
  const states = () => events.filter((e) => e.type === "server.state").map((e) => e.payload as { vmState: string; powerState: number; fault?: { message: string } });
  return { compute, storage, network, daemon, events, replies, send, states };
}

describe("host daemon", () => {
  it("builds a server: plugs ports, prepares the disk, spawns, reports progress then ACTIVE", async () => {
    const t = setup();
    await t.send("server.create", createPayload(), "cmd-1");
    expect(t.events.filter((e) => e.type === "server.progress").map((e) => (e.payload as { taskState: string }).taskState)).toEqual(["networking", "block_device_mapping", "spawning"]);
    expect(t.states()).toEqual([{ serverId: "s1", commandId: "cmd-1", vmState: "active", powerState: 1 }].map(({ vmState, powerState }) => expect.objectContaining({ vmState, powerState })));
    expect(t.network.ports.has("p1")).toBe(true);
    const spec = t.compute.domains.get("nimbus-s1")!.spec;
    expect(spec.nics).toEqual([{ mac: port.mac, bridge: expect.any(String), tap: expect.any(String), mtu: 1500 }]);
  });

  it("is idempotent: the same create twice leaves one domain and reports ACTIVE again", async () => {
    const t = setup();
    await t.send("server.create", createPayload(), "cmd-1");
    await t.send("server.create", createPayload(), "cmd-1");
    expect(t.compute.domains.size).toBe(1);
    expect(t.states().map((s) => s.vmState)).toEqual(["active", "active"]);
  });

  it("undoes everything when the spawn fails and reports ERROR with the reason", async () => {
    const t = setup();
    t.compute.failNextSpawn(new Error("qemu exploded"));
    await t.send("server.create", createPayload(), "cmd-1");
    expect(t.states()).toEqual([expect.objectContaining({ vmState: "error", fault: { message: "qemu exploded" } })]);
    expect(t.network.ports.size).toBe(0);
    expect(t.storage.disks.size).toBe(0);
    expect(t.compute.domains.size).toBe(0);
  });

  it("stops, starts, reboots and deletes, reporting the real state each time", async () => {
    const t = setup();
    await t.send("server.create", createPayload());
    await t.send("server.stop", { serverId: "s1" });
    await t.send("server.start", { serverId: "s1" });
    await t.send("server.reboot", { serverId: "s1", hard: true });
    await t.send("server.delete", { serverId: "s1", ports: [port] });
    expect(t.states().map((s) => `${s.vmState}/${s.powerState}`)).toEqual(["active/1", "stopped/4", "active/1", "active/1", "deleted/0"]);
    expect(t.compute.domains.size).toBe(0);
    expect(t.network.ports.size).toBe(0);
  });

  it("cleans up an orphan's ports from its own record when the edge no longer knows them", async () => {
    const t = setup();
    await t.send("server.create", createPayload("orphan"));
    expect(t.network.ports.has("p1")).toBe(true);
    await t.send("server.delete", { serverId: "orphan", ports: [] });
    expect(t.network.ports.size).toBe(0);
    expect(t.compute.domains.size).toBe(0);
  });

  it("answers calls with ok or error, echoing the request id", async () => {
    const t = setup();
    await t.send("server.create", createPayload());
    t.storage.consoles.set("s1", "line1\nline2\nline3\n");
    await t.send("server.console", { serverId: "s1", length: 2 }, "call-1", "nimbus/host/h/reply");
    await t.send("server.console", { serverId: "s1", length: "bad" }, "call-2", "nimbus/host/h/reply");
    await t.send("no.such.command", {}, "call-3", "nimbus/host/h/reply");
    expect(t.replies.map((r) => [r.msg.inReplyTo, r.msg.status])).toEqual([["call-1", "ok"], ["call-2", "error"], ["call-3", "error"]]);
    expect(t.replies[0].msg.data.output).toContain("line3");
  });

  it("reports its inventory with server ids", async () => {
    const t = setup();
    await t.send("server.create", createPayload("a"));
    await t.send("server.create", createPayload("b"));
    await t.daemon.sendInventory();
    const inv = t.events.find((e) => e.type === "host.inventory")!.payload as { domains: Array<{ serverId: string }> };
    expect(inv.domains.map((d) => d.serverId).sort()).toEqual(["a", "b"]);
  });

  it("drops malformed messages without throwing", async () => {
    const t = setup();
    await expect(t.daemon.handle(new TextEncoder().encode("{nope"))).resolves.toBeUndefined();
    expect(t.events).toHaveLength(0);
  });
});
