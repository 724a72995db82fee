import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { followOutput } from "./process-output.js";
import { startAllInOne, type AllInOne } from "./all-in-one.js";

const run = promisify(execFile);
const sh = (cmd: string, args: string[]) => run(cmd, args).then((r) => r.stdout);
const quiet = (cmd: string, args: string[]) => run(cmd, args).catch(() => undefined);

/**
 * Several KVM hosts on one machine for multi-host tests: each host daemon runs in its own network
 * namespace, joined by a veth to an underlay bridge in the root namespace (`nbul-<rand>`), where
 * the edge (all-in-one without its local host) listens.
 *
 * Libvirt: qemu started by the machine's libvirtd would create its taps in the root namespace,
 * away from the host's bridges. So each host gets a private libvirtd (and virtlogd), started
 * inside the host's network namespace and a private mount namespace whose tmpfs mounts hide the
 * machine's /run/libvirt (sockets, pid files), /etc/libvirt/qemu (persistent domains) and
 * /var/lib/libvirt/qemu, /var/cache/libvirt/qemu (domain state). The daemon runs in the same
 * namespaces and talks to it as qemu:///system, exactly as on a real host; qemu inherits the
 * network namespace, so its taps appear next to the host's bridges.
 */
export interface NetnsHost {
  id: string;
  ns: string;
  underlayIp: string;
  stateDir: string;
  namePrefix: string;
  output: () => string;
  waitForLog: (pattern: RegExp, timeoutMs?: number) => Promise<void>;
  /** Runs a command inside the host's network namespace. */
  exec: (cmd: string, args: string[]) => Promise<string>;
}

export interface NetnsCloud {
  cloud: AllInOne;
  hosts: NetnsHost[];
  underlayBridge: string;
  stop: () => Promise<void>;
}

const PRIVATE_DIRS = ["/run/libvirt", "/etc/libvirt/qemu", "/var/lib/libvirt/qemu", "/var/cache/libvirt/qemu"];

/** The script run as `ip netns exec NS unshare -m --propagation private bash -c …`. */
function hostScript(stateDir: string): string {
  const mounts = PRIVATE_DIRS.map((d) => `o=$(stat -c %u:%g:%a ${d}); mount -t tmpfs tmpfs ${d}; chown \${o%:*} ${d}; chmod \${o##*:} ${d}`).join("\n");
  return `set -e
${mounts}
ip link set lo up
virtlogd -d -p /run/libvirt/virtlogd.pid
libvirtd -d -p /run/libvirt/libvirtd.pid
for _ in $(seq 1 100); do virsh -c qemu:///system version >/dev/null 2>&1 && break; sleep 0.1; done
virsh -c qemu:///system version >/dev/null
exec "$@"
# state: ${stateDir}
`;
}

/** Creates the underlay, starts the edge on it and `count` hosts in namespaces, each registered. */
export async function startNetnsCloud(count: number, extraEnv: Record<string, string> = {}): Promise<NetnsCloud> {
  const tag = randomBytes(3).toString("hex");
  const underlayBridge = `nbul-${tag}`;
  const net = `10.${200 + (randomBytes(1)[0]! % 50)}.${randomBytes(1)[0]! % 250}`;
  const edgeIp = `${net}.1`;
  const namespaces: string[] = [];
  const daemons: ChildProcess[] = [];
  let cloud: AllInOne | undefined;

  const stop = async () => {
    for (const d of daemons) if (d.exitCode === null) await new Promise<void>((r) => { d.once("exit", () => r()); d.kill("SIGTERM"); setTimeout(r, 10_000); });
    // Every process left in our namespaces (private libvirtd, virtlogd, qemu) was started by us.
    for (const ns of namespaces) {
      const pids = (await sh("ip", ["netns", "pids", ns]).catch(() => "")).split("\n").filter(Boolean);
      for (const pid of pids) { try { process.kill(Number(pid), "SIGKILL"); } catch { /* gone */ } }
    }
    await cloud?.stop();
    for (const ns of namespaces) await quiet("ip", ["netns", "del", ns]);
    await quiet("ip", ["link", "del", underlayBridge]);
  };

  try {
    await sh("ip", ["link", "add", underlayBridge, "type", "bridge"]);
    await sh("ip", ["addr", "add", `${edgeIp}/24`, "dev", underlayBridge]);
    await sh("ip", ["link", "set", underlayBridge, "up"]);
    const guestImage = process.env.NIMBUS_TEST_GUEST_IMAGE;
    if (!guestImage) throw new Error("NIMBUS_TEST_GUEST_IMAGE must point at a built guest image (npm test builds it)");
    cloud = await startAllInOne({ NIMBUS_GUEST_IMAGE: guestImage, NIMBUS_NO_LOCAL_HOST: "1", NIMBUS_LISTEN_HOST: edgeIp, ...extraEnv });
    await cloud.waitForLog(/Nimbus is up/, 120_000);
    const apiUrl = (await readFile(cloud.cloudsYaml, "utf8")).match(/auth_url: *(http:\/\/[^/\s]+)/)![1]!;
    const mqttPort = cloud.output().match(/MQTT broker: *mqtt:\/\/[^:]+:(\d+)/)![1]!;
    const token = (await cloud.openstack(["token", "issue", "-f", "value", "-c", "id"], "nimbus-admin")).trim();

    const hosts: NetnsHost[] = [];
    for (let i = 1; i <= count; i++) {
      const id = `nbh${i}-${tag}`;
      const ns = id;
      const underlayIp = `${net}.${10 + i}`;
      await sh("ip", ["netns", "add", ns]);
      namespaces.push(ns);
      await sh("ip", ["link", "add", `nbv${i}-${tag}`, "type", "veth", "peer", "name", `nbp${i}-${tag}`]);
      await sh("ip", ["link", "set", `nbp${i}-${tag}`, "netns", ns]);
      await sh("ip", ["link", "set", `nbv${i}-${tag}`, "master", underlayBridge, "up"]);
      const inNs = (cmd: string, args: string[]) => sh("ip", ["netns", "exec", ns, cmd, ...args]);
      await inNs("ip", ["link", "set", `nbp${i}-${tag}`, "name", "ul0"]);
      await inNs("ip", ["addr", "add", `${underlayIp}/24`, "dev", "ul0"]);
      await inNs("ip", ["link", "set", "ul0", "up"]);
      await inNs("ip", ["link", "set", "lo", "up"]);

      const res = await fetch(`${apiUrl}/internal/hosts`, { method: "POST", headers: { "X-Auth-Token": token, "Content-Type": "application/json" }, body: JSON.stringify({ host: { id } }) });
      if (res.status !== 201) throw new Error(`enrolling ${id}: ${res.status} ${await res.text()}`);
      const { host } = (await res.json()) as { host: { id: string; secret: string } };
      const stateDir = join(cloud.stateDir, id);
      await mkdir(stateDir, { recursive: true });
      await chmod(stateDir, 0o755);
      const script = join(stateDir, "start-host.sh");
      await writeFile(script, hostScript(stateDir), { mode: 0o755 });
      const namePrefix = `nimbus-${id}-`;
      const proc = spawn("ip", ["netns", "exec", ns, "unshare", "-m", "--propagation", "private", "bash", script, process.execPath, "--import", "tsx", "host-daemon/src/main.ts"], {
        env: {
          ...process.env, NIMBUS_HOST_ID: id, NIMBUS_HOST_SECRET: host.secret, NIMBUS_MQTT_URL: `mqtt://${edgeIp}:${mqttPort}`, NIMBUS_MQTT_PROTOCOL: "4",
          NIMBUS_API_URL: apiUrl, NIMBUS_HOST_STATE_DIR: stateDir, NIMBUS_NAME_PREFIX: namePrefix, NIMBUS_HEARTBEAT_SECONDS: "2",
          NIMBUS_LIBVIRT_URI: "qemu:///system",
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      daemons.push(proc);
      const { output, waitForLog } = followOutput(proc, `host ${id}`);
      hosts.push({ id, ns, underlayIp, stateDir, namePrefix, output, waitForLog, exec: inNs });
    }
    await Promise.all(hosts.map((h) => h.waitForLog(/registered: \d+ vCPUs/, 120_000)));
    return { cloud, hosts, underlayBridge, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
