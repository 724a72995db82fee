import { serve, type ServerType } from "@hono/node-server";
import mqtt from "mqtt";
import { join } from "node:path";
import { createApp } from "../app.js";
import { MqttBus } from "../bus/mqtt-bus.js";
import { subscribeHostEvents } from "../bus/subscriber.js";
import { enrollHost, verifyHost } from "../hosts/enroll.js";
import type { Config, Deps } from "../lib/context.js";
import { randomSecret } from "../lib/encoding.js";
import { RevocationList } from "../lib/revocations.js";
import { TokenCodec } from "../lib/token.js";
import { keepNoDelay } from "../../../shared/src/no-delay.js";
import { startBroker } from "./broker.js";
import { openDatabase } from "./db.js";
import { FsBlobStore } from "./fs-blob-store.js";
import { loadOrCreateSecret } from "./secrets.js";

export interface EdgeOptions {
  stateDir: string;
  host: string;
  port: number;
  mqttPort: number;
  /** Origin clients and hosts reach the API at. */
  publicUrl: string;
  region?: string;
  /** Allocation ratios and weigher; defaults to Nova's (cpu 4, ram 1, disk 1, spread). */
  scheduler?: Config["scheduler"];
}

/** The Node runtime: embedded libSQL, embedded broker, filesystem blobs and the API on one port. */
export async function startEdge(opts: EdgeOptions) {
  const db = await openDatabase(`file:${join(opts.stateDir, "nimbus.db")}`);
  const tokenKeys = await loadOrCreateSecret(join(opts.stateDir, "keys", "token-keys.json"), () => [randomSecret(32)]);
  const edgeSecret = randomSecret();
  const broker = await startBroker({ edgeUser: "edge", edgeSecret, verifyHost: (id, secret) => verifyHost(db, id, secret) }, opts.mqttPort, opts.host);
  const client = keepNoDelay(await mqtt.connectAsync(`mqtt://${opts.host}:${opts.mqttPort}`, {
    username: "edge", password: edgeSecret, clientId: `edge-${crypto.randomUUID().slice(0, 8)}`, protocolVersion: 4,
  }));
  const bus = new MqttBus(client);
  const deps: Deps = {
    db, bus, blobs: new FsBlobStore(join(opts.stateDir, "images")), tokens: await TokenCodec.fromKeys(tokenKeys), revocations: new RevocationList(db),
    config: { publicUrl: opts.publicUrl, region: opts.region ?? "RegionOne", tokenTtlSeconds: 3600, scheduler: opts.scheduler },
  };
  await subscribeHostEvents(client, { db, bus, apiBase: opts.publicUrl, resizeConfirmWindowSeconds: Number(process.env.NIMBUS_RESIZE_CONFIRM_WINDOW ?? 0) });
  const app = createApp(() => deps);
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: opts.host, port: opts.port }, () => resolve(s));
  });
  const close = async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await client.endAsync();
    await broker.close();
  };
  return { app, deps, db, close, enroll: (hostId: string) => enrollHost(db, hostId), mqttUrl: `mqtt://${opts.host}:${opts.mqttPort}` };
}
