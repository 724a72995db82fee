import { eq } from "drizzle-orm";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hosts } from "../../edge/src/db/schema.js";
import { startEdge } from "../../edge/src/node/server.js";
import { connectLink } from "../../host-daemon/src/link.js";
import { freePort } from "./mosquitto.js";

let edge: Awaited<ReturnType<typeof startEdge>>;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "nimbus-live-"));
  await chmod(dir, 0o755);
  edge = await startEdge({ stateDir: dir, host: "127.0.0.1", port: await freePort(), mqttPort: await freePort(), publicUrl: "http://127.0.0.1" });
});
afterAll(async () => {
  await edge.close();
  await rm(dir, { recursive: true, force: true });
});

const hostRow = async (id: string) => (await edge.db.select().from(hosts).where(eq(hosts.id, id)))[0];

describe("host liveness through the embedded broker", () => {
  it("marks a host online when it connects and offline when its connection dies (last will)", async () => {
    const { id, secret } = await edge.enroll("live-host");
    const link = await connectLink({ url: edge.mqttUrl, hostId: id, secret, protocolVersion: 4, onCommand: () => undefined, onConnect: () => undefined });
    await expect.poll(async () => (await hostRow(id)).online, { timeout: 5000 }).toBe(true);
    link.options.reconnectPeriod = 0;
    link.stream.destroy(); // an abrupt loss: no DISCONNECT, so the broker publishes the will
    await expect.poll(async () => (await hostRow(id)).online, { timeout: 5000 }).toBe(false);
    await link.endAsync(true);
  });

  it("refuses a host with the wrong secret", async () => {
    await edge.enroll("other-host");
    await expect(connectLink({ url: edge.mqttUrl, hostId: "other-host", secret: "wrong", protocolVersion: 4, onCommand: () => undefined, onConnect: () => undefined }))
      .rejects.toThrow();
  });
});
