import { createClient } from "@libsql/client/web";
import { drizzle } from "drizzle-orm/libsql";
import { createApp } from "./app.js";
import { schema } from "./db/client.js";
import type { Deps } from "./lib/context.js";
import { RevocationList } from "./lib/revocations.js";
import { TokenCodec } from "./lib/token.js";
import { PerRequestMqttBus } from "./workers/mqtt-per-request.js";
import { R2BlobStore } from "./workers/r2-blob-store.js";

/** Cloudflare Workers bindings (wrangler.toml and secrets). */
export interface WorkerEnv {
  LIBSQL_URL: string;
  LIBSQL_AUTH_TOKEN?: string;
  /** Comma-separated base64url 32-byte keys; the first one signs. */
  TOKEN_KEYS: string;
  MQTT_URL: string;
  MQTT_USERNAME: string;
  MQTT_PASSWORD: string;
  INGEST_SECRET?: string;
  PUBLIC_URL?: string;
  REGION?: string;
  IMAGES: ConstructorParameters<typeof R2BlobStore>[0];
}

let cached: { key: string; deps: Promise<Deps> } | undefined;

/** Dependencies are built once per isolate and reused while the bindings stay the same. */
function depsFor(env: WorkerEnv): Promise<Deps> {
  const key = `${env.LIBSQL_URL}|${env.TOKEN_KEYS}|${env.MQTT_URL}`;
  if (cached?.key === key) return cached.deps;
  const deps = (async (): Promise<Deps> => {
    const db = drizzle(createClient({ url: env.LIBSQL_URL, authToken: env.LIBSQL_AUTH_TOKEN }), { schema });
    return {
      db,
      revocations: new RevocationList(db),
      bus: new PerRequestMqttBus(env.MQTT_URL, env.MQTT_USERNAME, env.MQTT_PASSWORD),
      blobs: new R2BlobStore(env.IMAGES),
      tokens: await TokenCodec.fromKeys(env.TOKEN_KEYS.split(",").map((k) => k.trim())),
      config: { publicUrl: env.PUBLIC_URL, region: env.REGION ?? "RegionOne", ingestSecret: env.INGEST_SECRET, tokenTtlSeconds: 3600 },
    };
  })();
  cached = { key, deps };
  return deps;
}

const app = createApp((env) => depsFor(env as WorkerEnv));
export default app;
