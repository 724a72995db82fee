import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { topics } from "#shared";
import { loadConfig } from "./config.js";
import { LibvirtComputeDriver } from "./drivers/compute/libvirt.js";
import { LinuxBridgeNetworkDriver } from "./drivers/network/linux-bridge.js";
import { firewallTable } from "./drivers/network/firewall-rules.js";
import { Qcow2StorageDriver } from "./drivers/storage/qcow2.js";
import { startHost } from "./host.js";
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

const host = await startHost({
  ...cfg,
  compute: new LibvirtComputeDriver({ uri: cfg.libvirtUri, domainType: cfg.domainType, namePrefix: cfg.namePrefix, rebootGraceSeconds: cfg.stopGraceSeconds }),
  storage: new Qcow2StorageDriver({ stateDir: cfg.stateDir, fetchImage }),
  network: new LinuxBridgeNetworkDriver({ stateDir: cfg.stateDir, firewallTable: firewallTable(cfg.namePrefix), hostIsExternalGateway: process.env.NIMBUS_HOST_EXTERNAL_GATEWAY === "1", libvirtUri: cfg.libvirtUri }),
  records: new FileServerRecords(join(cfg.stateDir, "servers")),
  log,
});
log(`connected to ${cfg.mqttUrl}; listening on ${topics.command(cfg.hostId)}`);

const shutdown = async () => {
  await host.stop();
  process.exit(0);
};
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
