/** MQTT topic layout. Each host may only touch nimbus/host/<its id>/#. */
export const TOPIC_ROOT = "nimbus/host";

export const topics = {
  command: (hostId: string) => `${TOPIC_ROOT}/${hostId}/cmd`,
  events: (hostId: string) => `${TOPIC_ROOT}/${hostId}/events`,
  status: (hostId: string) => `${TOPIC_ROOT}/${hostId}/status`,
  reply: (hostId: string) => `${TOPIC_ROOT}/${hostId}/reply`,
  allEvents: `${TOPIC_ROOT}/+/events`,
  allStatus: `${TOPIC_ROOT}/+/status`,
  allReplies: `${TOPIC_ROOT}/+/reply`,
} as const;

/** The host id a topic belongs to, or null when it is not a host topic. */
export function hostIdOfTopic(topic: string): string | null {
  const parts = topic.split("/");
  if (parts.length !== 4 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT) return null;
  return parts[2] || null;
}

/** True when `hostId` may publish (or subscribe, for `cmd`) on `topic`. */
export function hostMayUse(hostId: string, topic: string, action: "publish" | "subscribe"): boolean {
  if (hostIdOfTopic(topic) !== hostId) return false;
  const leaf = topic.split("/")[3];
  return action === "subscribe" ? leaf === "cmd" : leaf === "events" || leaf === "status" || leaf === "reply";
}
