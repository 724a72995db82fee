import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "../integration/mosquitto.js";
import { followOutput } from "./process-output.js";

const run = promisify(execFile);

export interface AllInOne {
  stateDir: string;
  cloudsYaml: string;
  apiUrl: string;
  namePrefix: string;
  hostStateDir: string;
  proc: ChildProcess;
  output: () => string;
  /** Resolves when the combined output matches `pattern` (the cloud's own log lines are the events). */
  waitForLog: (pattern: RegExp, timeoutMs?: number) => Promise<void>;
  openstack: (args: string[], cloud?: string) => Promise<string>;
  stop: () => Promise<void>;
}

/** The all-in-one booting the guest image `npm test` builds, once its local host has registered. */
export async function startGuestCloud(extraEnv: Record<string, string> = {}): Promise<AllInOne> {
  const guestImage = process.env.NIMBUS_TEST_GUEST_IMAGE;
  if (!guestImage || !existsSync(guestImage)) throw new Error("NIMBUS_TEST_GUEST_IMAGE must point at a built guest image (npm test builds it)");
  const cloud = await startAllInOne({ NIMBUS_GUEST_IMAGE: guestImage, ...extraEnv });
  await cloud.waitForLog(/registered: \d+ vCPUs/);
  return cloud;
}

/** Starts `edge/src/node/all-in-one.ts` (what `npm start` runs) on free ports in a temp state dir. */
export async function startAllInOne(extraEnv: Record<string, string> = {}): Promise<AllInOne> {
  const stateDir = await mkdtemp(join(tmpdir(), "nimbus-e2e-"));
  await chmod(stateDir, 0o755); // qemu runs as libvirt-qemu and must reach the disks below
  const [port, mqttPort] = [await freePort(), await freePort()];
  const cloudsYaml = join(stateDir, "clouds.yaml");
  const namePrefix = `nimbus-e2e${port}-`;
  const hostStateDir = join(stateDir, "host");
  const proc = spawn(process.execPath, ["--import", "tsx", "edge/src/node/all-in-one.ts"], {
    env: {
      ...process.env, NIMBUS_STATE_DIR: stateDir, NIMBUS_PORT: String(port), NIMBUS_MQTT_PORT: String(mqttPort),
      NIMBUS_CLOUDS_YAML: cloudsYaml, NIMBUS_NAME_PREFIX: namePrefix, NIMBUS_HOST_STATE_DIR: hostStateDir,
      NIMBUS_LOCAL_HOST_ID: `e2e-${port}`, NIMBUS_HEARTBEAT_SECONDS: "2", ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const { output, waitForLog } = followOutput(proc, "all-in-one");
  const openstack = async (args: string[], cloud = "nimbus") => {
    try {
      const { stdout } = await run("openstack", ["--os-cloud", cloud, ...args], { env: { ...process.env, OS_CLIENT_CONFIG_FILE: cloudsYaml }, timeout: 300_000 });
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string; message: string };
      throw new Error(`openstack ${args.join(" ")} failed: ${e.stderr || e.message}\n${e.stdout ?? ""}`);
    }
  };
  const exited = () => new Promise<void>((resolve) => {
    if (proc.exitCode !== null) return resolve();
    proc.once("exit", () => resolve());
    proc.kill("SIGTERM");
  });
  // A test that failed half-way leaves its guests behind: remove every domain of this cloud.
  const stop = async () => {
    await exited();
    const { stdout } = await run("virsh", ["-c", "qemu:///system", "list", "--all", "--name"]);
    for (const name of stdout.split("\n").filter((n) => n.startsWith(namePrefix))) {
      await run("virsh", ["-c", "qemu:///system", "destroy", name]).catch(() => undefined);
      await run("virsh", ["-c", "qemu:///system", "undefine", name]).catch(() => undefined);
    }
  };
  return { stateDir, cloudsYaml, apiUrl: `http://127.0.0.1:${port}`, namePrefix, hostStateDir, proc, output, waitForLog, openstack, stop };
}
