import { statfs } from "node:fs/promises";
import { hostname, machine, networkInterfaces } from "node:os";
import type { MqttClient } from "mqtt";
import type { Envelope } from "#shared";
import { HostDaemon, type DaemonDeps } from "./daemon.js";
import { closeLink, connectLink, publishEvent } from "./link.js";

export interface HostOptions extends Pick<DaemonDeps, "compute" | "storage" | "network" | "records" | "namePrefix" | "stopGraceSeconds" | "configDrive" | "forceConfigDrive" | "metadata" | "volume" | "attacher"> {
  hostId: string;
  secret: string;
  mqttUrl: string;
  protocolVersion: 4 | 5;
  /** Its free space is reported as the host's disk capacity. */
  stateDir: string;
  heartbeatSeconds: number;
  /** VXLAN tunnel endpoint advertised on registration. */
  underlayIp?: string | null;
  /** Sees every event just before it is published. */
  onEvent?: (msg: Envelope) => void;
  log?: (msg: string) => void;
  /** External networks (names or ids) this host reaches, for router placement; absent: all. */
  externalNetworks?: string[];
}

/**
 * A running host: the daemon wired to its MQTT link, registering (capacity and inventory) on every
 * (re)connect and sending heartbeats. `registered` resolves after the first registration.
 */
export async function startHost(o: HostOptions) {
  const log = o.log ?? (() => undefined);
  let client: MqttClient | undefined;
  const daemon = new HostDaemon({
    compute: o.compute, storage: o.storage, network: o.network, records: o.records, volume: o.volume, attacher: o.attacher, namePrefix: o.namePrefix, stopGraceSeconds: o.stopGraceSeconds, log,
    configDrive: o.configDrive, forceConfigDrive: o.forceConfigDrive, metadata: o.metadata,
    emit: async (msg) => {
      o.onEvent?.(msg);
      if (client) await publishEvent(client, o.hostId, msg);
    },
    reply: async (topic, msg, correlation) => {
      await client?.publishAsync(topic, JSON.stringify(msg), { qos: 1, ...(correlation ? { properties: { correlationData: correlation } } : {}) });
    },
  });

  const register = async () => {
    const info = await o.compute.hostInfo();
    const fs = await statfs(o.stateDir);
    const diskGb = Math.floor((fs.bavail * fs.bsize) / 2 ** 30);
    await daemon.event("host.register", { hostname: hostname(), vcpus: info.vcpus, memoryMb: info.memoryMb, diskGb, hypervisorType: info.hypervisorType, version: info.version, ...hostAddress(), ...(o.externalNetworks ? { externalNetworks: o.externalNetworks } : {}), ...(o.underlayIp ? { underlayIp: o.underlayIp } : {}) });
    await daemon.sendInventory();
    log(`registered: ${info.vcpus} vCPUs, ${info.memoryMb} MB, ${diskGb} GB`);
  };
  let firstRegistration: Promise<void> | undefined;
  client = await connectLink({
    url: o.mqttUrl, hostId: o.hostId, secret: o.secret, protocolVersion: o.protocolVersion,
    onCommand: (payload, responseTopic, correlation) => void daemon.handle(payload, responseTopic, correlation),
    onConnect: () => {
      const attempt = register();
      firstRegistration ??= attempt;
      attempt.catch((err: Error) => log(`register failed: ${err.message}`));
    },
  });

  const heartbeat = setInterval(async () => {
    const running = (await o.compute.list().catch(() => [])).filter((d) => d.state === "running").length;
    await daemon.event("host.heartbeat", { runningServers: running }).catch(() => undefined);
  }, o.heartbeatSeconds * 1000);

  const stop = async () => {
    clearInterval(heartbeat);
    await closeLink(client!, o.hostId).catch(() => undefined);
  };
  return { daemon, client, registered: firstRegistration!, stop };
}

/** The host's first external IPv4 address and its machine architecture, for os-hypervisors. */
function hostAddress(): { hostIp?: string; arch: string } {
  const ip = Object.values(networkInterfaces()).flat().find((a) => a && a.family === "IPv4" && !a.internal)?.address;
  return { ...(ip ? { hostIp: ip } : {}), arch: machine() };
}
