/**
 * Nimbus benchmark: prints figures, never asserts timing.
 *
 *   npm run bench                      # defaults
 *   BENCH_SECONDS=2 BENCH_SERVERS=20 npm run bench
 *
 * Settings (env): BENCH_SECONDS (15, per token case), BENCH_SERVERS (50), BENCH_CONCURRENCY (5, for
 * the server boot/delete loop), BENCH_WAIT ("events" | "poll"), BENCH_TIMEOUT_SECONDS (300, watchdog).
 *
 * The edge (API, embedded broker, libSQL) and one host daemon (libvirt test:///default driver,
 * fake storage and network) run in this one process, and so does the HTTP client.
 */
import { eq, isNull } from "drizzle-orm";
import type { Envelope } from "#shared";
import { hosts, servers } from "../edge/src/db/schema.js";
import { startBenchEdge, type BenchEdge } from "./edge.js";
import { startBenchHost } from "./host.js";
import { runFor, type LoadResult } from "./load.js";
import { mib, ms, num, percentile, sleep, table } from "./stats.js";

const env = process.env;
const positive = (v: string | undefined, dflt: number) => {
  const n = Number(v);
  return v !== undefined && v !== "" && Number.isFinite(n) && n > 0 ? n : dflt;
};
const SECONDS = positive(env.BENCH_SECONDS, 15);
const SERVERS = Math.floor(positive(env.BENCH_SERVERS, 50));
const CONCURRENCY = Math.floor(positive(env.BENCH_CONCURRENCY, 5));
const WAIT_MODE: "events" | "poll" = env.BENCH_WAIT === "poll" ? "poll" : "events";
const TIMEOUT_S = positive(env.BENCH_TIMEOUT_SECONDS, 300);
const POLL_MS = 20;
/** How long one server may take to become ACTIVE or to go away before it counts as failed. */
const SERVER_TIMEOUT_MS = 30_000;

const watchdog = setTimeout(() => {
  console.error(`\nbench: watchdog fired after ${TIMEOUT_S} s; giving up`);
  process.exit(2);
}, TIMEOUT_S * 1000);
watchdog.unref();

// Count what the code under test logs as errors (ingest failures, daemon command failures…).
const loggedErrors: string[] = [];
const origError = console.error.bind(console);
console.error = (...args: unknown[]) => {
  loggedErrors.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(" "));
  origError(...args);
};
const daemonLog: string[] = [];

const say = (msg: string) => console.log(msg);
const cpuSeconds = (d: NodeJS.CpuUsage) => (d.user + d.system) / 1e6;

// ---------------------------------------------------------------------------------------------

async function login(base: string, user: string, password: string, project: string): Promise<string> {
  const res = await fetch(`${base}/identity/v3/auth/tokens`, { method: "POST", headers: { "Content-Type": "application/json" }, body: authBody(user, password, project) });
  if (res.status !== 201) throw new Error(`login ${user} failed: ${res.status} ${await res.text()}`);
  await res.arrayBuffer().catch(() => undefined);
  return res.headers.get("X-Subject-Token")!;
}

function authBody(user: string, password: string, project: string) {
  return JSON.stringify({
    auth: {
      identity: { methods: ["password"], password: { user: { name: user, domain: { name: "Default" }, password } } },
      scope: { project: { name: project, domain: { name: "Default" } } },
    },
  });
}

interface TokenRow extends LoadResult { cpuMsPerReq: number }

const shortName = (name: string) =>
  name.startsWith("POST") ? "token issue (POST /v3/auth/tokens)"
  : name.includes("in-process") ? "token validate, in-process (no HTTP)"
  : "token validate (GET /network/v2.0)";

async function tokenBench(b: BenchEdge): Promise<TokenRow[]> {
  const base = b.publicUrl;
  const body = authBody("demo", b.passwords.demo, "demo");
  const issue = async () => {
    const res = await fetch(`${base}/identity/v3/auth/tokens`, { method: "POST", headers: { "Content-Type": "application/json" }, body });
    await res.arrayBuffer();
    return res.status === 201 && !!res.headers.get("X-Subject-Token");
  };
  const token = await login(base, "demo", b.passwords.demo, "demo");
  const validate = async () => {
    const res = await fetch(`${base}/network/v2.0`, { headers: { "X-Auth-Token": token } });
    await res.arrayBuffer();
    return res.status === 200;
  };
  // The same request handed straight to the Hono app: no socket, no HTTP parsing, no fetch client.
  const validateInProcess = async () => {
    const res = await b.edge.app.request(`${base}/network/v2.0`, { headers: { "X-Auth-Token": token } });
    await res.arrayBuffer();
    return res.status === 200;
  };
  const cases: Array<[string, () => Promise<boolean>]> = [
    ["POST /identity/v3/auth/tokens (password, project scope)", issue],
    ["GET /network/v2.0 (token validation only)", validate],
    ["GET /network/v2.0 via app.request (in-process, no HTTP)", validateInProcess],
  ];
  const rows: TokenRow[] = [];
  for (const [name, op] of cases) {
    for (let i = 0; i < 10; i++) await op(); // warm-up: JIT, connection pool, prepared statements
    for (const c of [1, 8]) {
      const cpu0 = process.cpuUsage();
      const r = await runFor(name, SECONDS, c, op);
      const cpuMsPerReq = (cpuSeconds(process.cpuUsage(cpu0)) * 1000) / Math.max(1, r.ok + r.errors);
      rows.push({ ...r, cpuMsPerReq });
      say(`  ${name}  c=${c}: ${num(r.rps)} req/s, p50 ${ms(r.p50)} ms, p99 ${ms(r.p99)} ms, ${num(cpuMsPerReq, 2)} CPU ms/req${r.errors ? `, ${r.errors} errors (${r.firstError})` : ""}`);
    }
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------

interface ServerRecord {
  id?: string;
  postMs?: number;
  activeMs?: number;
  hostActiveMs?: number;
  deleteMs?: number;
  hostDeletedMs?: number;
  gets: number;
  error?: string;
}

/** The last server.state each server's host published, and who waits for the next one. */
class HostEvents {
  private readonly last = new Map<string, { vmState: string; at: number }>();
  private readonly waiters = new Map<string, Set<() => void>>();

  see(msg: Envelope) {
    if (msg.type !== "server.state") return;
    const p = msg.payload as { serverId?: string; vmState?: string };
    if (!p.serverId || !p.vmState) return;
    this.last.set(p.serverId, { vmState: p.vmState, at: performance.now() });
    const ws = this.waiters.get(p.serverId);
    if (ws) for (const w of ws) w();
  }

  state(id: string) {
    return this.last.get(id);
  }

  /** Resolves at the next server.state for `id`, or after `ms`. */
  next(id: string, msec: number): Promise<void> {
    return new Promise((resolve) => {
      const set = this.waiters.get(id) ?? new Set();
      this.waiters.set(id, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0) this.waiters.delete(id);
        resolve();
      };
      const timer = setTimeout(done, msec);
      set.add(done);
    });
  }

  forget(id: string) {
    this.last.delete(id);
  }
}

async function controlPlaneBench(b: BenchEdge) {
  const base = b.publicUrl;
  const hostId = "bench-host-1";
  const creds = await b.edge.enroll(hostId);
  const events = new HostEvents();
  const t0 = performance.now();
  const host = await startBenchHost({
    hostId, secret: creds.secret, mqttUrl: b.edge.mqttUrl, stateDir: b.stateDir,
    onEvent: (m) => events.see(m), log: (m) => daemonLog.push(m),
  });
  say(`  host ${hostId} connected and registered in ${ms(performance.now() - t0)} ms (${host.info.vcpus} vCPUs, ${host.info.memoryMb} MB, hypervisor ${host.info.hypervisorType} ${host.info.version})`);

  // The scheduler needs the edge to have ingested host.register (it arrives over the broker).
  const token = await login(base, "demo", b.passwords.demo, "demo");
  const headers = { "X-Auth-Token": token, "Content-Type": "application/json" };
  const getServer = async (id: string) => {
    const res = await fetch(`${base}/compute/v2.1/servers/${id}`, { headers });
    const json = res.status === 200 ? ((await res.json()) as { server: { status: string; fault?: { message: string } } }) : (await res.arrayBuffer(), null);
    return { status: res.status, server: json?.server };
  };
  for (let i = 0; i < 100; i++) {
    const up = (await b.edge.db.select().from(hosts).where(eq(hosts.id, hostId)))[0];
    if (up?.online && up.memoryMb > 0) break;
    await sleep(20);
  }

  /** Waits until `done` holds for the server as the API shows it; host events (if enabled) say when to look. */
  const waitFor = async (rec: ServerRecord, id: string, hostTerminal: (vmState: string) => boolean, done: (r: Awaited<ReturnType<typeof getServer>>) => boolean) => {
    const deadline = performance.now() + SERVER_TIMEOUT_MS;
    while (performance.now() < deadline) {
      if (WAIT_MODE === "events") {
        const s = events.state(id);
        // Until the host has reported the outcome, wait for its event (with a slow safety poll
        // for outcomes decided by the edge alone, such as "No valid host").
        if (!s || !hostTerminal(s.vmState)) await events.next(id, 500);
      }
      const r = await getServer(id);
      rec.gets++;
      if (done(r)) return r;
      if (r.server?.status === "ERROR") return r;
      if (WAIT_MODE === "poll" || (events.state(id) && hostTerminal(events.state(id)!.vmState))) await sleep(POLL_MS);
    }
    throw new Error(`timed out after ${SERVER_TIMEOUT_MS} ms`);
  };

  const records: ServerRecord[] = [];
  let nextIndex = 0;
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();

  const one = async (i: number) => {
    const rec: ServerRecord = { gets: 0 };
    records.push(rec);
    try {
      const start = performance.now();
      const res = await fetch(`${base}/compute/v2.1/servers`, {
        method: "POST", headers,
        body: JSON.stringify({ server: { name: `bench-${i}`, imageRef: b.imageId, flavorRef: "1", networks: [{ uuid: b.privateNet }] } }),
      });
      const text = await res.text();
      rec.postMs = performance.now() - start;
      if (res.status !== 202) throw new Error(`create answered ${res.status}: ${text.slice(0, 200)}`);
      const id = (JSON.parse(text) as { server: { id: string } }).server.id;
      rec.id = id;
      const created = await waitFor(rec, id, (v) => v === "active" || v === "error", (r) => r.server?.status === "ACTIVE");
      rec.activeMs = performance.now() - start;
      const hs = events.state(id);
      if (hs && (hs.vmState === "active" || hs.vmState === "error")) rec.hostActiveMs = hs.at - start;
      if (created.server?.status !== "ACTIVE") rec.error = `status ${created.server?.status}: ${created.server?.fault?.message ?? "no fault"}`;

      const delStart = performance.now();
      const del = await fetch(`${base}/compute/v2.1/servers/${id}`, { method: "DELETE", headers });
      await del.arrayBuffer();
      if (del.status !== 204) throw new Error(`delete answered ${del.status}`);
      await waitFor(rec, id, (v) => v === "deleted", (r) => r.status === 404);
      rec.deleteMs = performance.now() - delStart;
      const hd = events.state(id);
      if (hd?.vmState === "deleted") rec.hostDeletedMs = hd.at - delStart;
      events.forget(id);
    } catch (err) {
      rec.error ??= (err as Error).message;
    }
  };

  const worker = async () => {
    while (nextIndex < SERVERS) await one(nextIndex++);
  };
  const progress = setInterval(() => say(`  … ${records.filter((r) => r.deleteMs !== undefined || r.error).length}/${SERVERS} servers done`), 10_000);
  try {
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, SERVERS) }, worker));
  } finally {
    clearInterval(progress);
  }
  const wallS = (performance.now() - wall0) / 1000;
  const cpuS = cpuSeconds(process.cpuUsage(cpu0));

  // What is left behind on the host and in the database.
  const leftoverDomains = (await host.compute.list()).length;
  const leftoverPorts = (await host.network.listPorts()).length;
  const leftoverDisks = (await host.storage.listServers()).length;
  const liveServers = (await b.edge.db.select({ id: servers.id }).from(servers).where(isNull(servers.deletedAt))).length;

  return { records, wallS, cpuS, host, leftovers: { leftoverDomains, leftoverPorts, leftoverDisks, liveServers } };
}

// ---------------------------------------------------------------------------------------------

async function main() {
  say(`Nimbus bench — node ${process.version}, ${SECONDS} s per token case, ${SERVERS} servers at concurrency ${CONCURRENCY}, wait mode: ${WAIT_MODE}`);
  say("NOTE: the edge (API + embedded aedes broker + libSQL), the host daemon (libvirt test:///default, fake storage/network) and the HTTP client all share this one Node process.");
  const tStart = performance.now();
  const b = await startBenchEdge();
  say(`edge up at ${b.publicUrl}, broker ${b.edge.mqttUrl}, state ${b.stateDir} (${ms(performance.now() - tStart)} ms incl. migrations and seeding)`);

  let host: Awaited<ReturnType<typeof startBenchHost>> | undefined;
  let exitCode = 0;
  try {
    say("\n[1] tokens over HTTP (fetch → 127.0.0.1)");
    const tokenRows = await tokenBench(b);

    say(`\n[2] control plane: boot and delete ${SERVERS} servers, ${CONCURRENCY} at a time`);
    const cp = await controlPlaneBench(b);
    host = cp.host;
    const rssEnd = process.memoryUsage().rss;
    const maxRssKb = process.resourceUsage().maxRSS;

    const good = cp.records.filter((r) => !r.error);
    const failed = cp.records.filter((r) => r.error);
    const pick = (f: (r: ServerRecord) => number | undefined) => good.map(f).filter((v): v is number => v !== undefined);
    const create = pick((r) => r.activeMs);
    const hostCreate = pick((r) => r.hostActiveMs);
    const post = pick((r) => r.postMs);
    const del = pick((r) => r.deleteMs);
    const hostDel = pick((r) => r.hostDeletedMs);
    const gets = cp.records.reduce((a, r) => a + r.gets, 0);

    // ------------------------------------------------------------------ summary
    say("\n================ results ================");
    say(table(
      ["HTTP case", "conc", "req/s", "p50 ms", "p99 ms", "CPU ms/req", "errors"],
      tokenRows.map((r) => [shortName(r.name), String(r.concurrency), num(r.rps), ms(r.p50), ms(r.p99), num(r.cpuMsPerReq, 2), String(r.errors)]),
    ));
    say("");
    say(table(
      ["control plane (ms)", "n", "p50", "p95", "max"],
      [
        ["POST /servers answered (202)", post],
        ["create → ACTIVE seen via API", create],
        ["  of which: host reported active", hostCreate],
        ["DELETE → 404 seen via API", del],
        ["  of which: host reported deleted", hostDel],
      ].map(([label, xs]) => {
        const s = xs as number[];
        return [label as string, String(s.length), ms(percentile(s, 50)), ms(percentile(s, 95)), ms(s.length ? Math.max(...s) : Number.NaN)];
      }),
    ));
    say("");
    say(table(
      ["control plane totals", "value"],
      [
        ["servers booted+deleted OK", `${good.length}/${SERVERS}`],
        ["wall time", `${num(cp.wallS, 1)} s`],
        ["servers per minute (boot+delete)", num((good.length / cp.wallS) * 60, 0)],
        ["process CPU per server *", `${num(cp.cpuS / Math.max(1, cp.records.length), 3)} s (total ${num(cp.cpuS, 1)} s)`],
        ["GET /servers/{id} polls per server", num(gets / Math.max(1, cp.records.length), 1)],
        ["RSS at end / peak RSS *", `${mib(rssEnd)} / ${mib(maxRssKb * 1024)}`],
        ["left behind: domains / ports / disks / live DB servers", `${cp.leftovers.leftoverDomains} / ${cp.leftovers.leftoverPorts} / ${cp.leftovers.leftoverDisks} / ${cp.leftovers.liveServers}`],
        ["console.error lines / daemon failures", `${loggedErrors.length} / ${daemonLog.filter((l) => / failed/.test(l)).length}`],
      ],
    ));
    say("* one process: edge + embedded broker + libSQL + host daemon + the benchmark's HTTP client (CPU ms/req above likewise).");
    if (failed.length) {
      exitCode = 1;
      say(`\n${failed.length} server(s) failed; first: ${failed[0].id ?? "(no id)"}: ${failed[0].error}`);
    }
    const daemonFailures = daemonLog.filter((l) => / failed/.test(l));
    if (daemonFailures.length) say(`daemon reported: ${daemonFailures.slice(0, 3).join(" | ")}`);
  } catch (err) {
    exitCode = 1;
    origError("bench failed:", err);
  } finally {
    await host?.close().catch((err) => origError("closing host:", err));
    await b.edge.close().catch((err) => origError("closing edge:", err));
    await b.removeState().catch((err) => origError("removing state:", err));
  }
  say(`\ntotal bench time ${num((performance.now() - tStart) / 1000, 1)} s; cleaned up ${b.stateDir}`);
  return exitCode;
}

const code = await main();
// Whatever still holds the event loop open after cleanup is worth knowing about.
const busy = process.getActiveResourcesInfo().filter((r) => !["TTYWrap", "PipeWrap", "Timeout", "FSReqCallback"].includes(r));
if (busy.length) say(`(still open after cleanup: ${busy.join(", ")})`);
process.exit(code);
