import { chmod, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { images } from "../edge/src/db/schema.js";
import { uploadImageData } from "../edge/src/image/service.js";
import { randomSecret } from "../edge/src/lib/encoding.js";
import { ensureNetwork, seedFlavors, seedIdentity } from "../edge/src/node/bootstrap.js";
import { startEdge } from "../edge/src/node/server.js";

/** A loopback port nobody listens on right now (the usual small race is acceptable for a bench). */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, host, () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** The Node edge in this process on free loopback ports, over a fresh state dir, seeded like the all-in-one. */
export async function startBenchEdge() {
  const stateDir = await mkdtemp(join(tmpdir(), "nimbus-bench-"));
  await chmod(stateDir, 0o755);
  const host = "127.0.0.1";
  const port = await freePort(host);
  let mqttPort = await freePort(host);
  while (mqttPort === port) mqttPort = await freePort(host);
  const publicUrl = `http://${host}:${port}`;
  const edge = await startEdge({ stateDir, host, port, mqttPort, publicUrl });
  const { db } = edge;

  const passwords = { admin: randomSecret(12), demo: randomSecret(12) };
  const projectIds = await seedIdentity(db, [
    { user: "admin", password: passwords.admin, project: "admin", role: "admin" },
    { user: "demo", password: passwords.demo, project: "demo", role: "member" },
  ]);
  await seedFlavors(db);
  const privateNet = await ensureNetwork(db, { name: "private", projectId: projectIds.demo, cidr: "10.0.0.0/24" });
  await ensureNetwork(db, { name: "public", projectId: projectIds.admin, cidr: "172.24.4.0/24", external: true, dhcp: false });

  // A tiny public image: the libvirt test driver never reads the disk, and the fake storage never downloads it.
  const imageId = crypto.randomUUID();
  await db.insert(images).values({ id: imageId, name: "bench-image", owner: projectIds.admin, visibility: "public", diskFormat: "qcow2", containerFormat: "bare" });
  const bytes = crypto.getRandomValues(new Uint8Array(4096));
  const body = new ReadableStream<Uint8Array>({ start(c) { c.enqueue(bytes); c.close(); } });
  await uploadImageData(db, edge.deps.blobs, imageId, body);

  const removeState = () => rm(stateDir, { recursive: true, force: true });
  return { edge, stateDir, publicUrl, passwords, projectIds, privateNet, imageId, removeState };
}

export type BenchEdge = Awaited<ReturnType<typeof startBenchEdge>>;
