import mqtt, { type MqttClient } from "mqtt";
import { tmpdir } from "node:os";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { envelope, topics } from "../../shared/src/index.js";
import { MqttBus } from "../../edge/src/bus/mqtt-bus.js";
import { BusTimeout } from "../../edge/src/bus/types.js";
import { startBroker } from "../../edge/src/node/broker.js";
import { MemoryServerRecords } from "../../host-daemon/src/server-records.js";
import { FakeComputeDriver } from "../../host-daemon/src/drivers/compute/fake.js";
import { FakeNetworkDriver } from "../../host-daemon/src/drivers/network/fake.js";
import { FakeStorageDriver } from "../../host-daemon/src/drivers/storage/fake.js";
import { startHost } from "../../host-daemon/src/host.js";
import { freePort, startMosquitto } from "./mosquitto.js";

const clients: MqttClient[] = [];
const stops: Array<() => Promise<void>> = [];
const track = <T extends MqttClient>(c: T) => (clients.push(c), c);
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
});

/** A host daemon on fakes behind the real MQTT link, so only the bus is under test. */
async function fakeHost(url: string, hostId: string, secret: string, protocolVersion: 4 | 5) {
  const storage = new FakeStorageDriver();
  storage.consoles.set("s1", "booted\nhello from s1\n");
  const host = await startHost({
    hostId, secret, mqttUrl: url, protocolVersion, stateDir: tmpdir(), heartbeatSeconds: 60, namePrefix: "nimbus-", stopGraceSeconds: 1,
    compute: new FakeComputeDriver(), storage, network: new FakeNetworkDriver(), records: new MemoryServerRecords(),
  });
  stops.push(host.stop);
  return host.client;
}

function nextMessage(client: MqttClient, topic: string): Promise<{ payload: Buffer; properties?: Record<string, unknown> }> {
  return new Promise((resolve) => client.on("message", (t, payload, packet) => { if (t === topic) resolve({ payload, properties: packet.properties as Record<string, unknown> }); }));
}

describe("bus over real Mosquitto (MQTT 5)", () => {
  let mosq: Awaited<ReturnType<typeof startMosquitto>>;
  beforeAll(async () => { mosq = await startMosquitto({ edge: "edge-pw", h1: "h1-pw", h2: "h2-pw" }); });
  afterAll(() => mosq.stop());

  const edge = async () => track(await mqtt.connectAsync(mosq.url, { username: "edge", password: "edge-pw", protocolVersion: 5 }));

  it("calls a host and gets its reply through response topic and correlation data", async () => {
    await fakeHost(mosq.url, "h1", "h1-pw", 5);
    const bus = new MqttBus(await edge());
    const out = (await bus.call("h1", "server.console", { serverId: "s1", length: 1 }, 5000)) as { output: string };
    expect(out.output).toBe("hello from s1\n");
  });

  it("casts a command that the host receives with its envelope", async () => {
    const host = track(await mqtt.connectAsync(mosq.url, { username: "h1", password: "h1-pw", clientId: "h1-probe", protocolVersion: 5 }));
    await host.subscribeAsync(topics.command("h1"), { qos: 1 });
    const got = nextMessage(host, topics.command("h1"));
    const id = await new MqttBus(await edge()).cast("h1", "server.start", { serverId: "s9" });
    const env = envelope.parse(JSON.parse((await got).payload.toString()));
    expect(env).toMatchObject({ id, type: "server.start", payload: { serverId: "s9" } });
  });

  it("times out a call nobody answers", async () => {
    const bus = new MqttBus(await edge());
    await expect(bus.call("nobody", "server.console", { serverId: "x", length: null }, 300)).rejects.toBeInstanceOf(BusTimeout);
  });

  it("enforces the ACL: a host cannot read another host's commands nor speak on its topics", async () => {
    const h2 = track(await mqtt.connectAsync(mosq.url, { username: "h2", password: "h2-pw", protocolVersion: 5 }));
    await h2.subscribeAsync([topics.command("h1"), topics.command("h2")], { qos: 1 });
    const h2Got: string[] = [];
    h2.on("message", (t) => h2Got.push(t));
    const bus = new MqttBus(await edge());
    await bus.cast("h1", "host.sync", {});
    await bus.cast("h2", "host.sync", {}); // delivered in order after the first, if that one were allowed
    await expect.poll(() => h2Got, { timeout: 3000 }).toContain(topics.command("h2"));
    expect(h2Got).not.toContain(topics.command("h1"));
    const observer = await edge();
    await observer.subscribeAsync(topics.allEvents, { qos: 1 });
    const seen: string[] = [];
    observer.on("message", (t) => seen.push(t));
    await h2.publishAsync(topics.events("h1"), "spoof", { qos: 1 }).catch(() => undefined);
    await h2.publishAsync(topics.events("h2"), "legit", { qos: 1 });
    await expect.poll(() => seen, { timeout: 3000 }).toContain(topics.events("h2"));
    expect(seen).not.toContain(topics.events("h1"));
  });

  it("refuses a wrong password", async () => {
    await expect(mqtt.connectAsync(mosq.url, { username: "h1", password: "wrong", protocolVersion: 5, reconnectPeriod: 0 })).rejects.toThrow();
  });
});

describe("bus over the embedded aedes broker (MQTT 3.1.1)", () => {
  let url: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const port = await freePort();
    const broker = await startBroker({ edgeUser: "edge", edgeSecret: "edge-pw", verifyHost: async (id, s) => s === `${id}-pw` }, port);
    close = broker.close;
    url = `mqtt://127.0.0.1:${port}`;
  });
  afterAll(() => close());

  it("routes a call's reply through the envelope when MQTT 5 properties are unavailable", async () => {
    await fakeHost(url, "h1", "h1-pw", 4);
    const bus = new MqttBus(track(await mqtt.connectAsync(url, { username: "edge", password: "edge-pw", protocolVersion: 4 })));
    const out = (await bus.call("h1", "server.console", { serverId: "s1", length: null }, 5000)) as { output: string };
    expect(out.output).toContain("booted");
  });

  it("requires the client id to equal the host id and the right secret", async () => {
    await expect(mqtt.connectAsync(url, { username: "h1", password: "h1-pw", clientId: "someone-else", reconnectPeriod: 0 })).rejects.toThrow();
    await expect(mqtt.connectAsync(url, { username: "h1", password: "nope", clientId: "h1", reconnectPeriod: 0 })).rejects.toThrow();
  });

  it("denies a host another host's command topic", async () => {
    const h2 = track(await mqtt.connectAsync(url, { username: "h2", password: "h2-pw", clientId: "h2" }));
    await expect(h2.subscribeAsync(topics.command("h1"), { qos: 1 })).rejects.toThrow(/Subscribe error/);
    expect(h2.connected).toBe(true);
  });

  it("keeps a host's commands while it is away and delivers them when it returns", async () => {
    const first = await mqtt.connectAsync(url, { username: "h3", password: "h3-pw", clientId: "h3", clean: false });
    await first.subscribeAsync(topics.command("h3"), { qos: 1 });
    await first.endAsync();
    const bus = new MqttBus(track(await mqtt.connectAsync(url, { username: "edge", password: "edge-pw" })));
    const id = await bus.cast("h3", "host.sync", {});
    const back = track(await mqtt.connectAsync(url, { username: "h3", password: "h3-pw", clientId: "h3", clean: false, manualConnect: false }));
    const msg = await nextMessage(back, topics.command("h3"));
    expect(JSON.parse(msg.payload.toString()).id).toBe(id);
  });
});
