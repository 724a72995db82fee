import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { topics } from "#shared";
import { loadConfig } from "./config.js";
import { IsoConfigDriveWriter } from "./config-drive/writer.js";
import { MetadataService } from "./metadata/service.js";
import { LibvirtComputeDriver } from "./drivers/compute/libvirt.js";
import { LinuxBridgeNetworkDriver } from "./drivers/network/linux-bridge.js";
import { httpImageUploader } from "./drivers/storage/http-uploader.js";
import { firewallTable } from "./drivers/network/firewall-rules.js";
import { Qcow2StorageDriver } from "./drivers/storage/qcow2.js";
import { startHost } from "./host.js";
import { DirVolumeDriver } from "./drivers/volume/dir.js";
import { VirshDiskAttacher } from "./drivers/volume/virsh-attacher.js";
import { FileServerRecords } from "./server-records.js";
import { underlayAddress } from "./underlay.js";
import { exec } from "./exec.js";

const cfg = loadConfig();
const log = (msg: string) => console.log(`[host ${cfg.hostId}] ${msg}`);
await mkdir(cfg.stateDir, { recursive: true, mode: 0o755 });

const authHeader = `Basic ${Buffer.from(`${cfg.hostId}:${cfg.secret}`).toString("base64")}`;
const fetchImage = async (url: string) => {
  const res = await fetch(url, { headers: { Authorization: authHeader } });
  if (!res.ok || !res.body) throw new Error(`image download failed: ${res.status} ${res.statusText}`);
  return res.body;
};

const underlayIp = await underlayAddress(process.env, cfg.mqttUrl, exec);
log(`underlay address ${underlayIp ?? "unknown (no VXLAN tunnels)"}`);

const records = new FileServerRecords(join(cfg.stateDir, "servers"));
// One nft table per daemon: several all-in-ones (tests) may share a machine.
const metadata = cfg.metadata ? new MetadataService({ records, table: `nimbus_md_${cfg.namePrefix.replace(/[^A-Za-z0-9]/g, "_")}`, log }) : undefined;

const host = await startHost({
  ...cfg,
  underlayIp,
  compute: new LibvirtComputeDriver({ uri: cfg.libvirtUri, domainType: cfg.domainType, namePrefix: cfg.namePrefix, rebootGraceSeconds: cfg.stopGraceSeconds, saveDir: join(cfg.stateDir, "saved") }),
  storage: new Qcow2StorageDriver({ stateDir: cfg.stateDir, fetchImage, cacheBytes: process.env.NIMBUS_IMAGE_CACHE_MB ? Number(process.env.NIMBUS_IMAGE_CACHE_MB) * 1024 ** 2 : undefined, uploadImage: httpImageUploader(authHeader) }),
  network: new LinuxBridgeNetworkDriver({ stateDir: cfg.stateDir, firewallTable: firewallTable(cfg.namePrefix), hostIsExternalGateway: process.env.NIMBUS_HOST_EXTERNAL_GATEWAY === "1", libvirtUri: cfg.libvirtUri, underlayIp: underlayIp ?? undefined }),
  records,
  metadata,
  configDrive: new IsoConfigDriveWriter({ stateDir: cfg.stateDir }),
  volume: new DirVolumeDriver({ poolDir: process.env.NIMBUS_VOLUME_POOL_DIR ?? join(cfg.stateDir, "volumes") }),
  attacher: new VirshDiskAttacher({ uri: cfg.libvirtUri }),
  log,
});
log(`connected to ${cfg.mqttUrl}; listening on ${topics.command(cfg.hostId)}`);
await metadata?.sync().catch((err: Error) => log(`metadata sync failed: ${err.message}`));

const shutdown = async () => {
  await host.stop();
  await metadata?.close().catch(() => undefined);
  process.exit(0);
};
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
