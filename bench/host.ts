import { statfs } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import type { Envelope } from "#shared";
import { HostDaemon } from "../host-daemon/src/daemon.js";
import { LibvirtComputeDriver } from "../host-daemon/src/drivers/compute/libvirt.js";
import { FakeNetworkDriver } from "../host-daemon/src/drivers/network/fake.js";
import { FakeStorageDriver } from "../host-daemon/src/drivers/storage/fake.js";
import { closeLink, connectLink, publishEvent } from "../host-daemon/src/link.js";
import { FileServerRecords } from "../host-daemon/src/server-records.js";

export interface BenchHostOptions {
  hostId: string;
  secret: string;
  mqttUrl: string;
  /** Directory for the host's server records; its free space is reported as the host's disk (as in main.ts). */
  stateDir: string;
  heartbeatSeconds?: number;
  /** Sees every event envelope the daemon publishes, just before it goes on the wire. */
  onEvent?: (msg: Envelope) => void;
  log?: (msg: string) => void;
}

/**
 * A host daemon in this process, wired like host-daemon/src/main.ts but on libvirt's in-memory
 * test driver with fake storage and networking, over the real MQTT link (3.1.1 to the embedded aedes).
 */
export async function startBenchHost(o: BenchHostOptions) {
  const log = o.log ?? (() => undefined);
  const namePrefix = "nimbus-";
  const compute = new LibvirtComputeDriver({ uri: "test:///default", domainType: "test", namePrefix });
  const storage = new FakeStorageDriver();
  const network = new FakeNetworkDriver();

  let client: MqttClient | undefined;
  const daemon = new HostDaemon({
    compute, storage, network, records: new FileServerRecords(join(o.stateDir, `host-${o.hostId}`, "servers")), namePrefix, stopGraceSeconds: 1, log,
    emit: async (msg) => {
      o.onEvent?.(msg);
      if (client) await publishEvent(client, o.hostId, msg);
    },
    reply: async (topic, msg, correlation) => {
      await client?.publishAsync(topic, JSON.stringify(msg), { qos: 1, ...(correlation ? { properties: { correlationData: correlation } } : {}) });
    },
  });

  let registered!: () => void;
  let registerFailed!: (err: Error) => void;
  const firstRegister = new Promise<void>((resolve, reject) => { registered = resolve; registerFailed = reject; });
  async function register() {
    const info = await compute.hostInfo();
    const fs = await statfs(o.stateDir);
    const diskGb = Math.floor((fs.bavail * fs.bsize) / 2 ** 30);
    await daemon.event("host.register", { hostname: hostname(), vcpus: info.vcpus, memoryMb: info.memoryMb, diskGb, hypervisorType: info.hypervisorType, version: info.version });
    await daemon.sendInventory();
    log(`registered: ${info.vcpus} vCPUs, ${info.memoryMb} MB, ${diskGb} GB`);
    return info;
  }

  let info: Awaited<ReturnType<typeof compute.hostInfo>> | undefined;
  client = await connectLink({
    url: o.mqttUrl, hostId: o.hostId, secret: o.secret, protocolVersion: 4,
    onCommand: (payload, responseTopic, correlation) => void daemon.handle(payload, responseTopic, correlation),
    onConnect: () => void register().then((i) => { info = i; registered(); }, (err: Error) => { log(`register failed: ${err.message}`); registerFailed(err); }),
  });
  await firstRegister;

  const heartbeat = setInterval(async () => {
    const running = (await compute.list().catch(() => [])).filter((d) => d.state === "running").length;
    await daemon.event("host.heartbeat", { runningServers: running }).catch(() => undefined);
  }, (o.heartbeatSeconds ?? 10) * 1000);

  const close = async () => {
    clearInterval(heartbeat);
    if (client) await closeLink(client, o.hostId).catch(() => undefined);
    await compute.close();
  };
  return { daemon, compute, storage, network, info: info!, close };
}
