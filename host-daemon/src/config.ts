import { existsSync, readFileSync } from "node:fs";
import { hostname } from "node:os";

export interface DaemonConfig {
  hostId: string;
  secret: string;
  mqttUrl: string;
  protocolVersion: 4 | 5;
  apiUrl: string;
  libvirtUri: string;
  domainType: "kvm" | "qemu" | "test";
  stateDir: string;
  namePrefix: string;
  heartbeatSeconds: number;
  stopGraceSeconds: number;
  /** NIMBUS_FORCE_CONFIG_DRIVE=1: every server gets a config drive (Nova's force_config_drive). */
  forceConfigDrive: boolean;
  /** Serve 169.254.169.254 to guests (needs root: addresses, nft, ip rules); NIMBUS_METADATA=0 turns it off. */
  metadata: boolean;
  /** NIMBUS_EXTERNAL_NETWORKS=public,… : external networks (names or ids) this host reaches; unset: all. */
  externalNetworks?: string[];
}

/**
 * KVM needs the device and hardware virtualisation; some nested VMs expose /dev/kvm without
 * vmx/svm and qemu then dies setting MSRs, so both are required (TCG otherwise).
 */
function kvmUsable(): boolean {
  if (!existsSync("/dev/kvm")) return false;
  try {
    return /\b(vmx|svm)\b/.test(readFileSync("/proc/cpuinfo", "utf8"));
  } catch {
    return false;
  }
}

/** Configuration from the environment; credentials may come from a JSON file written at enrolment. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): DaemonConfig {
  const file = env.NIMBUS_HOST_CREDENTIALS;
  const creds = file ? (JSON.parse(readFileSync(file, "utf8")) as { id: string; secret: string }) : undefined;
  const hostId = env.NIMBUS_HOST_ID ?? creds?.id ?? hostname();
  const secret = env.NIMBUS_HOST_SECRET ?? creds?.secret;
  if (!secret) throw new Error("set NIMBUS_HOST_SECRET or NIMBUS_HOST_CREDENTIALS (from host enrolment)");
  return {
    hostId,
    secret,
    mqttUrl: env.NIMBUS_MQTT_URL ?? "mqtt://127.0.0.1:1883",
    protocolVersion: env.NIMBUS_MQTT_PROTOCOL === "5" ? 5 : 4,
    apiUrl: (env.NIMBUS_API_URL ?? "http://127.0.0.1:8080").replace(/\/$/, ""),
    libvirtUri: env.NIMBUS_LIBVIRT_URI ?? "qemu:///system",
    domainType: (env.NIMBUS_DOMAIN_TYPE as DaemonConfig["domainType"]) ?? (kvmUsable() ? "kvm" : "qemu"),
    stateDir: env.NIMBUS_HOST_STATE_DIR ?? `/var/lib/nimbus/host-${hostId}`,
    namePrefix: env.NIMBUS_NAME_PREFIX ?? "nimbus-",
    heartbeatSeconds: Number(env.NIMBUS_HEARTBEAT_SECONDS ?? 10),
    stopGraceSeconds: Number(env.NIMBUS_STOP_GRACE_SECONDS ?? 20),
    forceConfigDrive: env.NIMBUS_FORCE_CONFIG_DRIVE === "1",
    metadata: env.NIMBUS_METADATA !== "0",
    ...(env.NIMBUS_EXTERNAL_NETWORKS !== undefined ? { externalNetworks: env.NIMBUS_EXTERNAL_NETWORKS.split(",").map((n) => n.trim()).filter(Boolean) } : {}),
  };
}
