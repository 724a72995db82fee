import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CommandPayload, CommandType } from "../../shared/src/index.js";
import { createApp } from "../../edge/src/app.js";
import type { Bus } from "../../edge/src/bus/types.js";
import { hosts, images, quotas } from "../../edge/src/db/schema.js";
import { enrollHost } from "../../edge/src/hosts/enroll.js";
import type { Deps } from "../../edge/src/lib/context.js";
import { randomSecret } from "../../edge/src/lib/encoding.js";
import { RevocationList } from "../../edge/src/lib/revocations.js";
import { TokenCodec } from "../../edge/src/lib/token.js";
import { ensureNetwork, seedFlavors, seedIdentity } from "../../edge/src/node/bootstrap.js";
import { openDatabase } from "../../edge/src/node/db.js";
import { FsBlobStore } from "../../edge/src/node/fs-blob-store.js";
import { eq } from "drizzle-orm";

/** Records what the API sends to hosts; the narrow Bus interface is the seam. */
export class RecordingBus implements Bus {
  sent: Array<{ hostId: string; type: CommandType; payload: unknown; id: string }> = [];
  callResult: unknown = { output: "" };

  async cast<T extends CommandType>(hostId: string, type: T, payload: CommandPayload<T>, id = crypto.randomUUID()) {
    this.sent.push({ hostId, type, payload, id });
    return id;
  }

  async call<T extends CommandType>(hostId: string, type: T, payload: CommandPayload<T>) {
    this.sent.push({ hostId, type, payload, id: crypto.randomUUID() });
    return this.callResult;
  }
}

export const BASE = "http://nimbus.test";

/** A fresh API over a real libSQL file with the real migrations and seed data. */
export async function makeApi() {
  const dir = await mkdtemp(join(tmpdir(), "nimbus-api-"));
  const db = await openDatabase(`file:${join(dir, "db.sqlite")}`);
  const bus = new RecordingBus();
  const deps: Deps = {
    db, bus, blobs: new FsBlobStore(join(dir, "blobs")), tokens: await TokenCodec.fromKeys([randomSecret(32)]), revocations: new RevocationList(db),
    config: { region: "RegionOne", tokenTtlSeconds: 3600, ingestSecret: "relay-secret" },
  };
  const projects = await seedIdentity(db, [
    { user: "admin", password: "adminpw", project: "admin", role: "admin" },
    { user: "alice", password: "alicepw", project: "demo", role: "member" },
    { user: "rita", password: "ritapw", project: "demo", role: "reader" },
    { user: "bob", password: "bobpw", project: "other", role: "member" },
  ]);
  await seedFlavors(db);
  const privateNet = await ensureNetwork(db, { name: "private", projectId: projects.demo, cidr: "10.0.0.0/29" });
  const app = createApp(() => deps);
  const request = (path: string, init: RequestInit & { token?: string; json?: unknown } = {}) => {
    const headers = new Headers(init.headers);
    if (init.token) headers.set("X-Auth-Token", init.token);
    if (init.json !== undefined) headers.set("Content-Type", "application/json");
    return app.request(`${BASE}${path}`, { ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body });
  };
  const login = async (user: string, password: string, project: string) => {
    const res = await request("/identity/v3/auth/tokens", {
      method: "POST",
      json: { auth: { identity: { methods: ["password"], password: { user: { name: user, domain: { name: "Default" }, password } } }, scope: { project: { name: project, domain: { name: "Default" } } } } },
    });
    if (res.status !== 201) throw new Error(`login ${user} failed: ${res.status}`);
    return res.headers.get("X-Subject-Token")!;
  };
  /** A host that is online with room, as if it had registered over the bus. */
  const addHost = async (id = "host-a") => {
    await enrollHost(db, id);
    await db.update(hosts).set({ online: true, lastSeenAt: new Date().toISOString(), vcpus: 4, memoryMb: 8192, diskGb: 100 }).where(eq(hosts.id, id));
    return id;
  };
  /** Tokens of alice (member of demo) and bob (member of other), the pair most tests need. */
  const memberTokens = async () => {
    const [alice, bob] = await Promise.all([login("alice", "alicepw", "demo"), login("bob", "bobpw", "other")]);
    return { alice, bob };
  };
  /** A public, active image row (no bytes) that servers can be created from; returns its id. */
  const publicImage = async () => {
    const id = crypto.randomUUID();
    await db.insert(images).values({ id, name: "img", owner: projects.admin, visibility: "public", status: "active", diskFormat: "qcow2", containerFormat: "bare", checksum: "0".repeat(32), size: 10 });
    return id;
  };
  /** No instance, core or RAM limit for a project, for tests that build many servers. */
  const unlimitedCompute = (projectId: string) =>
    db.insert(quotas).values(["instances", "cores", "ram"].map((resource) => ({ projectId, resource, hardLimit: -1 }))).onConflictDoNothing();
  const cleanup = () => rm(dir, { recursive: true, force: true });
  return { app, deps, db, bus, request, login, memberTokens, addHost, publicImage, unlimitedCompute, projects, privateNet, cleanup };
}

export type Api = Awaited<ReturnType<typeof makeApi>>;
