import { Aedes, type Client } from "aedes";
import { createServer, type Server } from "node:net";
import { hostMayUse, TOPIC_ROOT } from "#shared";

export interface BrokerAuth {
  /** The edge's own MQTT credentials. */
  edgeUser: string;
  edgeSecret: string;
  /** Checks a host's id/secret pair. */
  verifyHost: (hostId: string, secret: string) => Promise<boolean>;
}

const edgeMay = (topic: string, action: "publish" | "subscribe") => {
  const [root, mid, , leaf] = topic.split("/");
  if (`${root}/${mid}` !== TOPIC_ROOT) return false;
  return action === "publish" ? leaf === "cmd" : ["events", "status", "reply"].includes(leaf ?? "");
};

function denied(message: string, returnCode: number) {
  return Object.assign(new Error(message), { returnCode });
}

/**
 * The all-in-one's embedded MQTT broker (aedes, MQTT 3.1.1). Every client authenticates; a host's
 * client id must be its host id and it may only use its own topics.
 */
export async function startBroker(auth: BrokerAuth, port: number, host = "127.0.0.1"): Promise<{ broker: Aedes; server: Server; close: () => Promise<void> }> {
  const roleOf = new WeakMap<Client, "edge" | "host">();
  const broker = await Aedes.createBroker({
    authenticate: (client, username, password, done) => {
      const secret = password?.toString() ?? "";
      if (username === auth.edgeUser) {
        const ok = secret === auth.edgeSecret;
        if (ok) roleOf.set(client, "edge");
        return done(ok ? null : denied("bad credentials", 4), ok);
      }
      if (!username || client.id !== username) return done(denied("client id must equal the host id", 2), false);
      auth.verifyHost(username, secret).then(
        (ok) => {
          if (ok) roleOf.set(client, "host");
          done(ok ? null : denied("bad credentials", 4), ok);
        },
        () => done(denied("auth unavailable", 3), false),
      );
    },
    authorizePublish: (client, packet, done) => {
      if (!client) return done(null);
      const role = roleOf.get(client);
      const ok = role === "edge" ? edgeMay(packet.topic, "publish") : role === "host" && hostMayUse(client.id, packet.topic, "publish");
      done(ok ? null : new Error(`not authorised to publish on ${packet.topic}`));
    },
    authorizeSubscribe: (client, sub, done) => {
      const role = roleOf.get(client);
      const ok = role === "edge" ? edgeMay(sub.topic, "subscribe") : role === "host" && hostMayUse(client.id, sub.topic, "subscribe");
      done(null, ok ? sub : null); // null grants nothing: the client gets a 0x80 SUBACK and stays connected
    },
  });
  const server = createServer({ noDelay: true }, broker.handle);
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const close = () => new Promise<void>((resolve) => server.close(() => broker.close(() => resolve())));
  return { broker, server, close };
}
