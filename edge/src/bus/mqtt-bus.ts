import type { MqttClient, IClientPublishOptions } from "mqtt";
import { makeEnvelope, reply, topics, type CommandPayload, type CommandType } from "#shared";
import { BusTimeout, type Bus } from "./types.js";

interface Pending {
  resolve: (data: unknown) => void;
  reject: (err: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * The bus over MQTT. Commands go to the host's `cmd` topic at QoS 1 (the host's persistent
 * session queues them while it is away). Calls carry their reply route as MQTT 5 response topic
 * and correlation data, or inside the envelope on MQTT 3.1.1 brokers such as aedes.
 */
export class MqttBus implements Bus {
  private pending = new Map<string, Pending>();
  private listening = false;

  constructor(private readonly client: MqttClient) {}

  private get mqtt5(): boolean {
    return this.client.options.protocolVersion === 5;
  }

  async cast<T extends CommandType>(hostId: string, type: T, payload: CommandPayload<T>, id?: string): Promise<string> {
    const env = makeEnvelope(type, payload, id);
    await this.client.publishAsync(topics.command(hostId), JSON.stringify(env), { qos: 1 });
    return env.id;
  }

  async call<T extends CommandType>(hostId: string, type: T, payload: CommandPayload<T>, timeoutMs = 10_000): Promise<unknown> {
    await this.listen();
    const env = makeEnvelope(type, payload);
    const replyTopic = topics.reply(hostId);
    const opts: IClientPublishOptions = { qos: 1 };
    if (this.mqtt5) opts.properties = { responseTopic: replyTopic, correlationData: Buffer.from(env.id) };
    else env.replyTo = replyTopic;
    const result = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(env.id);
        reject(new BusTimeout(hostId, type));
      }, timeoutMs);
      this.pending.set(env.id, { resolve, reject, timer });
    });
    await this.client.publishAsync(topics.command(hostId), JSON.stringify(env), opts);
    return result;
  }

  private async listen(): Promise<void> {
    if (this.listening) return;
    this.listening = true;
    this.client.on("message", (topic, message, packet) => {
      if (!topic.endsWith("/reply")) return;
      this.settle(message, packet.properties?.correlationData?.toString());
    });
    await this.client.subscribeAsync(topics.allReplies, { qos: 1 });
  }

  private settle(message: Uint8Array, correlation: string | undefined): void {
    let parsed;
    try {
      parsed = reply.parse(JSON.parse(new TextDecoder().decode(message)));
    } catch {
      return; // not a reply we understand; nothing waits for it
    }
    const key = correlation ?? parsed.inReplyTo;
    const waiter = this.pending.get(key);
    if (!waiter) return;
    this.pending.delete(key);
    clearTimeout(waiter.timer);
    if (parsed.status === "ok") waiter.resolve(parsed.data);
    else waiter.reject(new Error(parsed.error ?? "host error"));
  }
}
