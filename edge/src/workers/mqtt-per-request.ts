import mqtt from "mqtt";
import type { CommandPayload, CommandType } from "#shared";
import { MqttBus } from "../bus/mqtt-bus.js";
import type { Bus } from "../bus/types.js";

/**
 * A Worker cannot hold a subscription between requests, so each request that talks to hosts
 * opens one MQTT-over-WebSocket connection, uses it, and closes it.
 */
export class PerRequestMqttBus implements Bus {
  constructor(private readonly url: string, private readonly username: string, private readonly password: string) {}

  private async withBus<T>(use: (bus: MqttBus) => Promise<T>): Promise<T> {
    const client = await mqtt.connectAsync(this.url, { username: this.username, password: this.password, protocolVersion: 5, reconnectPeriod: 0 });
    try {
      return await use(new MqttBus(client));
    } finally {
      await client.endAsync();
    }
  }

  cast<T extends CommandType>(hostId: string, type: T, payload: CommandPayload<T>, id?: string) {
    return this.withBus((bus) => bus.cast(hostId, type, payload, id));
  }

  call<T extends CommandType>(hostId: string, type: T, payload: CommandPayload<T>, timeoutMs?: number) {
    return this.withBus((bus) => bus.call(hostId, type, payload, timeoutMs));
  }
}
