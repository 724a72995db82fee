import { join } from "node:path";
import type { Envelope } from "#shared";
import { LibvirtComputeDriver } from "../host-daemon/src/drivers/compute/libvirt.js";
import { FakeNetworkDriver } from "../host-daemon/src/drivers/network/fake.js";
import { FakeStorageDriver } from "../host-daemon/src/drivers/storage/fake.js";
import { startHost } from "../host-daemon/src/host.js";
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
 * A host daemon in this process, started like host-daemon/src/main.ts but on libvirt's in-memory
 * test driver with fake storage and networking, over the real MQTT link (3.1.1 to the embedded aedes).
 */
export async function startBenchHost(o: BenchHostOptions) {
  const compute = new LibvirtComputeDriver({ uri: "test:///default", domainType: "test", namePrefix: "nimbus-" });
  const storage = new FakeStorageDriver();
  const network = new FakeNetworkDriver();
  const host = await startHost({
    ...o, protocolVersion: 4, heartbeatSeconds: o.heartbeatSeconds ?? 10, namePrefix: "nimbus-", stopGraceSeconds: 1,
    compute, storage, network,
    records: new FileServerRecords(join(o.stateDir, `host-${o.hostId}`, "servers")),
  });
  await host.registered;
  const info = await compute.hostInfo();
  const close = async () => {
    await host.stop();
    await compute.close();
  };
  return { daemon: host.daemon, compute, storage, network, info, close };
}
