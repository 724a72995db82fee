import mqtt, { type MqttClient } from "mqtt";
import { topics, type Envelope } from "#shared";
import { keepNoDelay } from "../../shared/src/no-delay.js";

export interface LinkOptions {
  url: string;
  hostId: string;
  secret: string;
  /** 5 for brokers that speak MQTT 5 (Mosquitto), 4 for 3.1.1 (the embedded aedes). */
  protocolVersion: 4 | 5;
  /** Called for every message on this host's command topic. */
  onCommand: (payload: Uint8Array, responseTopic?: string, correlation?: Buffer) => void;
  /** Called after every (re)connect, once online status is published. */
  onConnect: () => void;
}

const status = (state: "online" | "offline") => JSON.stringify({ state, ts: new Date().toISOString() });

/**
 * The host's only connection: outbound to the broker, so NAT is fine. A persistent session keeps
 * commands queued while the host is away; the retained status plus a last will tell the edge
 * whether the host is up.
 */
export async function connectLink(o: LinkOptions): Promise<MqttClient> {
  const client = keepNoDelay(await mqtt.connectAsync(o.url, {
    clientId: o.hostId, username: o.hostId, password: o.secret, clean: false, protocolVersion: o.protocolVersion,
    reconnectPeriod: 1000, keepalive: 15,
    will: { topic: topics.status(o.hostId), payload: Buffer.from(status("offline")), qos: 1, retain: true },
    ...(o.protocolVersion === 5 ? { properties: { sessionExpiryInterval: 86_400 } } : {}),
  }));
  client.on("message", (topic, payload, packet) => {
    if (topic === topics.command(o.hostId)) o.onCommand(payload, packet.properties?.responseTopic, packet.properties?.correlationData);
  });
  const announce = async () => {
    await client.publishAsync(topics.status(o.hostId), status("online"), { qos: 1, retain: true });
    o.onConnect();
  };
  client.on("connect", (ack) => {
    if (!ack.sessionPresent) void client.subscribeAsync(topics.command(o.hostId), { qos: 1 });
    void announce();
  });
  await client.subscribeAsync(topics.command(o.hostId), { qos: 1 });
  await announce();
  return client;
}

export async function publishEvent(client: MqttClient, hostId: string, msg: Envelope): Promise<void> {
  await client.publishAsync(topics.events(hostId), JSON.stringify(msg), { qos: 1 });
}

/** Marks the host offline on purpose (a clean shutdown sends no will). */
export async function closeLink(client: MqttClient, hostId: string): Promise<void> {
  await client.publishAsync(topics.status(hostId), status("offline"), { qos: 1, retain: true });
  await client.endAsync();
}
