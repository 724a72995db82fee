import type { MqttClient } from "mqtt";

/**
 * Turns off Nagle's algorithm on an MQTT client's TCP socket, now and after every reconnect
 * (mqtt.js replaces the stream). Without it a publish sent right after an ack waits ~40 ms for
 * the peer's delayed ACK, which doubled create→ACTIVE. Node-only: not exported from index.ts.
 */
export function keepNoDelay(client: MqttClient): MqttClient {
  const apply = () => (client.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true);
  apply();
  client.on("connect", apply);
  return client;
}
