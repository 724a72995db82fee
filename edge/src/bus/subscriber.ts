import type { MqttClient } from "mqtt";
import { hostIdOfTopic, topics } from "#shared";
import { ingest, type IngestDeps } from "./ingest.js";

/**
 * Feeds host events into ingest, in order per host (a state change must not overtake the
 * progress report before it). Used where the edge can hold a subscription (the Node runtime).
 */
export async function subscribeHostEvents(client: MqttClient, deps: IngestDeps, onError: (err: unknown) => void = console.error) {
  const queues = new Map<string, Promise<void>>();
  client.on("message", (topic, message) => {
    const hostId = hostIdOfTopic(topic);
    const kind = topic.endsWith("/events") ? "events" : topic.endsWith("/status") ? "status" : null;
    if (!hostId || !kind || message.length === 0) return;
    const prior = queues.get(hostId) ?? Promise.resolve();
    const next = prior
      .then(() => ingest(deps, hostId, kind, JSON.parse(message.toString())))
      .catch(onError);
    queues.set(hostId, next);
  });
  await client.subscribeAsync([topics.allEvents, topics.allStatus], { qos: 1 });
}
