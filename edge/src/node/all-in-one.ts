import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, createReadStream } from "node:fs";
import { mkdir, writeFile, chmod } from "node:fs/promises";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { Readable } from "node:stream";
import { eq } from "drizzle-orm";
import { images } from "../db/schema.js";
import { uploadImageData } from "../image/service.js";
import { randomSecret } from "../lib/encoding.js";
import { ensureNetwork, seedFlavors, seedIdentity } from "./bootstrap.js";
import { cloudsYaml } from "./clouds-yaml.js";
import { loadOrCreateSecret } from "./secrets.js";
import { startEdge } from "./server.js";
import { schedulerFromEnv } from "./scheduler-env.js";
import { seedVolumeCatalog } from "../volume/catalog-seed.js";

const env = process.env;
const stateDir = resolve(env.NIMBUS_STATE_DIR ?? "/var/lib/nimbus");
const host = env.NIMBUS_LISTEN_HOST ?? "127.0.0.1";
const port = Number(env.NIMBUS_PORT ?? 8080);
const mqttPort = Number(env.NIMBUS_MQTT_PORT ?? 1883);
const publicUrl = env.NIMBUS_PUBLIC_URL ?? `http://${host}:${port}`;
const guestImage = env.NIMBUS_GUEST_IMAGE;
const guestImageName = env.NIMBUS_GUEST_IMAGE_NAME ?? "nimbus-guest";
const localHostId = env.NIMBUS_LOCAL_HOST_ID ?? hostname().toLowerCase().replace(/[^a-z0-9-]/g, "-");

await mkdir(stateDir, { recursive: true, mode: 0o755 });
const edge = await startEdge({ stateDir, host, port, mqttPort, publicUrl, scheduler: schedulerFromEnv(env) });
const { db } = edge;

const passwords = await loadOrCreateSecret(join(stateDir, "keys", "passwords.json"), () => ({ admin: randomSecret(12), demo: randomSecret(12) }));
const projectIds = await seedIdentity(db, [
  { user: "admin", password: passwords.admin, project: "admin", role: "admin" },
  { user: "demo", password: passwords.demo, project: "demo", role: "member" },
]);
await seedFlavors(db);
await seedVolumeCatalog(db);
await ensureNetwork(db, { name: "private", projectId: projectIds.demo, cidr: env.NIMBUS_PRIVATE_CIDR ?? "10.0.0.0/24" });
await ensureNetwork(db, { name: "public", projectId: projectIds.admin, cidr: env.NIMBUS_PUBLIC_CIDR ?? "172.24.4.0/24", external: true, dhcp: false });

if (guestImage && existsSync(guestImage) && (await db.select().from(images).where(eq(images.name, guestImageName))).length === 0) {
  const id = crypto.randomUUID();
  await db.insert(images).values({ id, name: guestImageName, owner: projectIds.admin, visibility: "public", diskFormat: "qcow2", containerFormat: "bare" });
  await uploadImageData(db, edge.deps.blobs, id, Readable.toWeb(createReadStream(guestImage)) as ReadableStream<Uint8Array>);
  console.log(`seeded image ${guestImageName} (${id})`);
}

const credFile = join(stateDir, "hosts", `${localHostId}.json`);
if (!existsSync(credFile)) {
  await mkdir(join(stateDir, "hosts"), { recursive: true, mode: 0o700 });
  await writeFile(credFile, JSON.stringify(await edge.enroll(localHostId)), { mode: 0o600 });
  await chmod(credFile, 0o600);
}

const authUrl = `${publicUrl}/identity`;
const cloudsFile = resolve(env.NIMBUS_CLOUDS_YAML ?? "clouds.yaml");
await writeFile(cloudsFile, cloudsYaml([
  { name: "nimbus", authUrl, username: "demo", password: passwords.demo, projectName: "demo", region: "RegionOne" },
  { name: "nimbus-admin", authUrl, username: "admin", password: passwords.admin, projectName: "admin", region: "RegionOne" },
]), { mode: 0o600 });

const daemonEnv = {
  ...env,
  NIMBUS_HOST_CREDENTIALS: credFile,
  NIMBUS_MQTT_URL: edge.mqttUrl,
  NIMBUS_MQTT_PROTOCOL: "4",
  NIMBUS_API_URL: publicUrl,
  NIMBUS_HOST_STATE_DIR: env.NIMBUS_HOST_STATE_DIR ?? join(stateDir, `host-${localHostId}`),
};
let stopping = false;
let daemon: ChildProcess | null = null;
/** Runs the local host daemon as its own process (as on any other host) and restarts it if it dies. */
function superviseDaemon() {
  daemon = spawn(process.execPath, ["--import", "tsx", "host-daemon/src/main.ts"], { stdio: "inherit", env: daemonEnv });
  daemon.on("exit", (code, signal) => {
    if (stopping) return;
    console.log(`local host daemon exited (${signal ?? code}); restarting it`);
    setTimeout(superviseDaemon, 1000);
  });
}
if (!env.NIMBUS_NO_LOCAL_HOST) superviseDaemon();

console.log(`
Nimbus is up.
  API:          ${publicUrl}  (identity at ${authUrl})
  MQTT broker:  ${edge.mqttUrl}
  clouds.yaml:  ${cloudsFile}  (clouds: nimbus = demo/member, nimbus-admin = admin)
  admin:        admin / ${passwords.admin}
  demo:         demo / ${passwords.demo}
  try:          openstack --os-cloud nimbus server create --flavor m1.tiny --image ${guestImageName} --network private vm1 --wait
`);

const stop = async () => {
  stopping = true;
  daemon?.kill("SIGTERM");
  await edge.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
