import { mkdir, statfs } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { topics } from "#shared";
import { loadConfig } from "./config.js";
import { HostDaemon } from "./daemon.js";
import { LibvirtComputeDriver } from "./drivers/compute/libvirt.js";
import { LinuxBridgeNetworkDriver } from "./drivers/network/linux-bridge.js";
import { Qcow2StorageDriver } from "./drivers/storage/qcow2.js";
import { closeLink, connectLink, publishEvent } from "./link.js";
import { FileServerRecords } from "./server-records.js";

const cfg = loadConfig();
const log = (msg: string) => console.log(`[host ${cfg.hostId}] ${msg}`);
await mkdir(cfg.stateDir, { recursive: true, mode: 0o755 });

const authHeader = `Basic ${Buffer.from(`${cfg.hostId}:${cfg.secret}`).toString("base64")}`;
const fetchImage = async (url: string) => {
  const res = await fetch(url, { headers: { Authorization: authHeader } });
  if (!res.ok || !res.body) throw new Error(`image download failed: ${res.status} ${res.statusText}`);
  return res.body;
};

const compute = new LibvirtComputeDriver({ uri: cfg.libvirtUri, domainType: cfg.domainType, namePrefix: cfg.namePrefix, rebootGraceSeconds: cfg.stopGraceSeconds });
const storage = new Qcow2StorageDriver({ stateDir: cfg.stateDir, fetchImage });
const network = new LinuxBridgeNetworkDriver({ stateDir: cfg.stateDir });

let client: Awaited<ReturnType<typeof connectLink>> | undefined;
const daemon = new HostDaemon({
  compute, storage, network, records: new FileServerRecords(join(cfg.stateDir, "servers")), namePrefix: cfg.namePrefix, stopGraceSeconds: cfg.stopGraceSeconds, log,
  emit: async (msg) => { if (client) await publishEvent(client, cfg.hostId, msg); },
  reply: async (topic, msg, correlation) => {
    await client?.publishAsync(topic, JSON.stringify(msg), { qos: 1, ...(correlation ? { properties: { correlationData: correlation } } : {}) });
  },
});

async function register() {
  const info = await compute.hostInfo();
  const fs = await statfs(cfg.stateDir);
  const diskGb = Math.floor((fs.bavail * fs.bsize) / 2 ** 30);
  await daemon.event("host.register", { hostname: hostname(), vcpus: info.vcpus, memoryMb: info.memoryMb, diskGb, hypervisorType: info.hypervisorType, version: info.version });
  await daemon.sendInventory();
  log(`registered: ${info.vcpus} vCPUs, ${info.memoryMb} MB, ${diskGb} GB`);
}

client = await connectLink({
  url: cfg.mqttUrl, hostId: cfg.hostId, secret: cfg.secret, protocolVersion: cfg.protocolVersion,
  onCommand: (payload, responseTopic, correlation) => void daemon.handle(payload, responseTopic, correlation),
  onConnect: () => void register().catch((err) => log(`register failed: ${err.message}`)),
});
log(`connected to ${cfg.mqttUrl}; listening on ${topics.command(cfg.hostId)}`);

const heartbeat = setInterval(async () => {
  const running = (await compute.list().catch(() => [])).filter((d) => d.state === "running").length;
  await daemon.event("host.heartbeat", { runningServers: running }).catch(() => undefined);
}, cfg.heartbeatSeconds * 1000);

const shutdown = async () => {
  clearInterval(heartbeat);
  if (client) await closeLink(client, cfg.hostId).catch(() => undefined);
  process.exit(0);
};
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
