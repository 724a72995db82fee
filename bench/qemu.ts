/**
 * Nimbus bench on real qemu: prints figures, never asserts timing.
 *
 *   npm run bench:qemu                          # 10 servers, 5 at a time
 *   BENCH_SERVERS=4 BENCH_CONCURRENCY=2 npm run bench:qemu
 *
 * Runs the all-in-one (`npm start`: edge + embedded broker in one process, the host daemon as its
 * child on qemu:///system, TCG without /dev/kvm) on free ports in a temporary state dir, boots
 * servers from the guest image on the private network and deletes them, over HTTP as a client would.
 * Settings (env): BENCH_SERVERS (10), BENCH_CONCURRENCY (5), BENCH_TIMEOUT_SECONDS (900),
 * NIMBUS_TEST_GUEST_IMAGE (the image `npm test` builds; default /var/cache/nimbus/nimbus-guest.qcow2).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./edge.js";
import { mib, ms, num, percentile, sleep, table } from "./stats.js";

const env = process.env;
const positive = (v: string | undefined, dflt: number) => (v && Number(v) > 0 ? Math.floor(Number(v)) : dflt);
const SERVERS = positive(env.BENCH_SERVERS, 10);
const CONCURRENCY = positive(env.BENCH_CONCURRENCY, 5);
const TIMEOUT_S = positive(env.BENCH_TIMEOUT_SECONDS, 900);
const GUEST_IMAGE = env.NIMBUS_TEST_GUEST_IMAGE ?? "/var/cache/nimbus/nimbus-guest.qcow2";
const SERVER_TIMEOUT_MS = 300_000;
const POLL_MS = 250;
const say = (msg: string) => console.log(msg);

const watchdog = setTimeout(() => {
  console.error(`\nbench: watchdog fired after ${TIMEOUT_S} s; giving up`);
  process.exit(2);
}, TIMEOUT_S * 1000);
watchdog.unref();

/** Resident set size of a process in bytes (0 once it is gone). */
async function rss(pid: number | undefined): Promise<number> {
  if (!pid) return 0;
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

/** The host daemon: the all-in-one's child process running host-daemon/src/main.ts. */
async function daemonPid(parent: number): Promise<number | undefined> {
  const children = (await readFile(`/proc/${parent}/task/${parent}/children`, "utf8").catch(() => "")).trim().split(/\s+/).filter(Boolean);
  for (const c of children) {
    const cmd = await readFile(`/proc/${c}/cmdline`, "utf8").catch(() => "");
    if (cmd.includes("host-daemon/src/main.ts")) return Number(c);
  }
  return undefined;
}

/** Peak and last RSS of a process, sampled every second. */
class RssWatch {
  peak = 0;
  last = 0;
  private timer?: NodeJS.Timeout;
  constructor(private readonly pid: () => Promise<number | undefined>) {}
  start() {
    const tick = async () => {
      const v = await rss(await this.pid());
      if (v) this.last = v;
      this.peak = Math.max(this.peak, v);
    };
    void tick();
    this.timer = setInterval(() => void tick(), 1000);
  }
  stop() {
    clearInterval(this.timer);
  }
}

async function startCloud() {
  if (!existsSync(GUEST_IMAGE)) throw new Error(`no guest image at ${GUEST_IMAGE} (scripts/build-guest-image.sh builds it)`);
  const stateDir = await mkdtemp(join(tmpdir(), "nimbus-bench-qemu-"));
  await chmod(stateDir, 0o755); // qemu runs as libvirt-qemu and must reach the disks below
  const [port, mqttPort] = [await freePort(), await freePort()];
  let log = "";
  const proc = spawn(process.execPath, ["--import", "tsx", "edge/src/node/all-in-one.ts"], {
    env: {
      ...env, NIMBUS_STATE_DIR: stateDir, NIMBUS_PORT: String(port), NIMBUS_MQTT_PORT: String(mqttPort), NIMBUS_GUEST_IMAGE: GUEST_IMAGE,
      NIMBUS_CLOUDS_YAML: join(stateDir, "clouds.yaml"), NIMBUS_NAME_PREFIX: `nimbus-bq${port}-`, NIMBUS_HOST_STATE_DIR: join(stateDir, "host"),
      NIMBUS_LOCAL_HOST_ID: `bench-${port}`, NIMBUS_HEARTBEAT_SECONDS: "2", NIMBUS_PRIVATE_CIDR: "10.250.0.0/24",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  proc.stdout!.on("data", (d: Buffer) => { log += d.toString(); });
  proc.stderr!.on("data", (d: Buffer) => { log += d.toString(); });
  const deadline = Date.now() + 120_000;
  while (!/registered: \d+ vCPUs/.test(log)) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`all-in-one did not come up:\n${log}`);
    await sleep(200);
  }
  const password = JSON.parse(await readFile(join(stateDir, "keys", "passwords.json"), "utf8")).demo as string;
  const stop = async () => {
    if (proc.exitCode === null) {
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await exited;
    }
    await rm(stateDir, { recursive: true, force: true });
  };
  return { base: `http://127.0.0.1:${port}`, proc: proc as ChildProcess, password, stop, log: () => log };
}

interface Rec { activeMs?: number; deleteMs?: number; error?: string }

async function main() {
  say(`Nimbus qemu bench — ${SERVERS} servers at concurrency ${CONCURRENCY}, real qemu (TCG) through the all-in-one, guest image ${GUEST_IMAGE}`);
  const t0 = performance.now();
  const cloud = await startCloud();
  say(`all-in-one up with its host registered in ${ms(performance.now() - t0)} ms`);
  const edgeRss = new RssWatch(async () => cloud.proc.pid);
  const daemonRss = new RssWatch(() => daemonPid(cloud.proc.pid!));
  edgeRss.start();
  daemonRss.start();
  let code = 0;
  try {
    const auth = { auth: { identity: { methods: ["password"], password: { user: { name: "demo", domain: { name: "Default" }, password: cloud.password } } }, scope: { project: { name: "demo", domain: { name: "Default" } } } } };
    const login = await fetch(`${cloud.base}/identity/v3/auth/tokens`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(auth) });
    const headers = { "X-Auth-Token": login.headers.get("X-Subject-Token")!, "Content-Type": "application/json" };
    const nets = (await (await fetch(`${cloud.base}/network/v2.0/networks?name=private`, { headers })).json()) as { networks: Array<{ id: string }> };
    const images = (await (await fetch(`${cloud.base}/image/v2/images?name=nimbus-guest`, { headers })).json()) as { images: Array<{ id: string }> };
    const status = async (id: string) => {
      const res = await fetch(`${cloud.base}/compute/v2.1/servers/${id}`, { headers });
      if (res.status === 404) return "GONE";
      const s = ((await res.json()) as { server: { status: string; fault?: { message: string } } }).server;
      return s.status === "ERROR" ? `ERROR: ${s.fault?.message ?? ""}` : s.status;
    };
    const until = async (id: string, want: string) => {
      const end = performance.now() + SERVER_TIMEOUT_MS;
      for (;;) {
        const s = await status(id);
        if (s === want) return;
        if (s.startsWith("ERROR")) throw new Error(s);
        if (performance.now() > end) throw new Error(`still ${s} after ${SERVER_TIMEOUT_MS} ms`);
        await sleep(POLL_MS);
      }
    };
    const recs: Rec[] = [];
    const one = async (i: number) => {
      const rec: Rec = {};
      recs.push(rec);
      try {
        const start = performance.now();
        const res = await fetch(`${cloud.base}/compute/v2.1/servers`, {
          method: "POST", headers,
          body: JSON.stringify({ server: { name: `bq-${i}`, imageRef: images.images[0].id, flavorRef: "1", networks: [{ uuid: nets.networks[0].id }] } }),
        });
        if (res.status !== 202) throw new Error(`create answered ${res.status}: ${await res.text()}`);
        const id = ((await res.json()) as { server: { id: string } }).server.id;
        await until(id, "ACTIVE");
        rec.activeMs = performance.now() - start;
        const del = performance.now();
        const d = await fetch(`${cloud.base}/compute/v2.1/servers/${id}`, { method: "DELETE", headers });
        if (d.status !== 204) throw new Error(`delete answered ${d.status}`);
        await until(id, "GONE");
        rec.deleteMs = performance.now() - del;
      } catch (err) {
        rec.error = (err as Error).message;
      }
    };
    let next = 0;
    const wall0 = performance.now();
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, SERVERS) }, async () => {
      while (next < SERVERS) await one(next++);
    }));
    const wallS = (performance.now() - wall0) / 1000;
    const good = recs.filter((r) => !r.error);
    const col = (f: (r: Rec) => number | undefined) => good.map(f).filter((v): v is number => v !== undefined);
    const [create, del] = [col((r) => r.activeMs), col((r) => r.deleteMs)];
    say("\n================ results ================");
    say(table(["real qemu (ms)", "n", "p50", "p95", "max"], [["create → ACTIVE", create], ["DELETE → 404", del]].map(([label, xs]) => {
      const s = xs as number[];
      return [label as string, String(s.length), ms(percentile(s, 50)), ms(percentile(s, 95)), ms(s.length ? Math.max(...s) : Number.NaN)];
    })));
    say("");
    say(table(["totals", "value"], [
      ["servers booted+deleted OK", `${good.length}/${SERVERS}`],
      ["wall time", `${num(wallS, 1)} s`],
      ["servers per minute (boot+delete)", num((good.length / wallS) * 60, 1)],
      ["edge RSS end / peak (API + broker + libSQL)", `${mib(edgeRss.last)} / ${mib(edgeRss.peak)}`],
      ["host daemon RSS end / peak", `${mib(daemonRss.last)} / ${mib(daemonRss.peak)}`],
    ]));
    const failed = recs.filter((r) => r.error);
    if (failed.length) {
      code = 1;
      say(`\n${failed.length} server(s) failed; first: ${failed[0].error}`);
    }
  } catch (err) {
    code = 1;
    console.error("bench failed:", err, "\n", cloud.log().slice(-3000));
  } finally {
    edgeRss.stop();
    daemonRss.stop();
    await cloud.stop();
  }
  say(`\ntotal bench time ${num((performance.now() - t0) / 1000, 1)} s`);
  return code;
}

process.exit(await main());
