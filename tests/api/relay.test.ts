import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEnvelope, topics } from "../../shared/src/index.js";
import { hosts } from "../../edge/src/db/schema.js";
import { enrollHost } from "../../edge/src/hosts/enroll.js";
import { makeApi, type Api } from "./harness.js";

let api: Api;
beforeAll(async () => {
  api = await makeApi();
  await enrollHost(api.db, "relay-host");
});
afterAll(() => api.cleanup());

const relay = (auth: string, body: unknown) =>
  api.request("/internal/bus/ingest", { method: "POST", headers: { Authorization: auth }, json: body });

describe("ingest over HTTP (broker webhook or relay, for an edge on Workers)", () => {
  it("refuses callers without the relay secret", async () => {
    const body = { topic: topics.status("relay-host"), payload: { state: "online", ts: new Date().toISOString() } };
    expect((await relay("", body)).status).toBe(401);
    expect((await relay("Bearer wrong", body)).status).toBe(401);
  });

  it("registers a host and tracks its status from forwarded messages", async () => {
    const register = makeEnvelope("host.register", { hostname: "box", vcpus: 8, memoryMb: 16384, diskGb: 200, hypervisorType: "QEMU", version: "7.2" });
    expect((await relay("Bearer relay-secret", { topic: topics.events("relay-host"), payload: register })).status).toBe(204);
    let row = (await api.db.select().from(hosts).where(eq(hosts.id, "relay-host")))[0];
    expect(row).toMatchObject({ hostname: "box", vcpus: 8, memoryMb: 16384, online: true });
    const offline = { state: "offline", ts: new Date().toISOString() };
    expect((await relay("Bearer relay-secret", { topic: topics.status("relay-host"), payload: offline })).status).toBe(204);
    row = (await api.db.select().from(hosts).where(eq(hosts.id, "relay-host")))[0];
    expect(row.online).toBe(false);
  });

  it("rejects a topic that is not a host event topic", async () => {
    expect((await relay("Bearer relay-secret", { topic: "nimbus/host/x/cmd", payload: {} })).status).toBe(400);
  });
});
