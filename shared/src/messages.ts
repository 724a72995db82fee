import { z } from "zod";
import { guestConfig } from "./guest-config.js";
import { snapshotCommands } from "./snapshot.js";
import { rootVolumeSpec, volumeCommandPayloads, volumeEventPayloads } from "./volume-messages.js";
import { networkCommandPayloads } from "./network-messages.js";
import { overlayCommandPayloads } from "./overlay-messages.js";

/** Bump when a payload changes incompatibly; receivers reject other versions. */
export const SCHEMA_VERSION = 1 as const;

export const powerStates = { NOSTATE: 0, RUNNING: 1, PAUSED: 3, SHUTDOWN: 4, CRASHED: 6, SUSPENDED: 7 } as const;

const uuid = z.string().min(1);

export const portSpec = z.object({
  portId: uuid,
  networkId: uuid,
  mac: z.string().regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/),
  ip: z.string(),
  prefixLength: z.number().int().min(0).max(32),
  gateway: z.string().nullable(),
  /** Address the host's DHCP server for this network answers from. */
  dhcpServerIp: z.string(),
  /** False when the subnet has no DHCP server: the host then takes no address and runs no dnsmasq. */
  dhcp: z.boolean().optional(),
  mtu: z.number().int().min(576).max(9000),
});
export type PortSpec = z.infer<typeof portSpec>;

export const imageRef = z.object({
  id: uuid,
  /** Glance's md5 `checksum`, verified by the host after download. */
  checksum: z.string(),
  size: z.number().int().nonnegative(),
  diskFormat: z.string(),
  /** Absolute URL the host downloads the bytes from with its own credentials. */
  url: z.string().url(),
});
export type ImageRef = z.infer<typeof imageRef>;

/** Everything a host needs to build a server (create, rebuild, resize and its revert). */
const serverBuild = z.object({
  serverId: uuid,
  name: z.string(),
  vcpus: z.number().int().positive(),
  memoryMb: z.number().int().positive(),
  diskGb: z.number().int().nonnegative(),
  image: imageRef,
  ports: z.array(portSpec),
  /** Config drive and metadata service contents (optional: older edges send none). */
  guestConfig: guestConfig.optional(),
});

export const commandPayloads = {
  /** A server booting from a volume has no image but a root volume. */
  "server.create": serverBuild.extend({ image: imageRef.optional(), rootVolume: rootVolumeSpec.optional() }),
  "server.start": z.object({ serverId: uuid }),
  "server.stop": z.object({ serverId: uuid }),
  "server.reboot": z.object({ serverId: uuid, hard: z.boolean() }),
  "server.delete": z.object({ serverId: uuid, ports: z.array(portSpec), deleteVolumes: z.array(uuid).optional() }),
  "server.console": z.object({ serverId: uuid, length: z.number().int().positive().nullable() }),
  "host.sync": z.object({}),
  "server.pause": z.object({ serverId: uuid }),
  "server.unpause": z.object({ serverId: uuid }),
  "server.suspend": z.object({ serverId: uuid }),
  "server.resume": z.object({ serverId: uuid }),
  /** Same build payload (new image); the disk is recreated, the ports kept. */
  "server.rebuild": serverBuild,
  /** Redefines the domain at the new size after keeping the old disk for a revert. */
  "server.resize": serverBuild,
  "server.confirmResize": z.object({ serverId: uuid }),
  /** The pre-resize build payload to go back to. */
  "server.revertResize": serverBuild,
  /** Cold migration, source: power off, upload the flattened root disk to `diskUrl`; keep the local copy. */
  "server.migrateOut": z.object({ serverId: uuid, diskUrl: z.string().url() }),
  /** Cold migration, destination: download the disk (md5 `checksum`), define the guest, start it if `powerOn`. */
  "server.migrateIn": serverBuild.omit({ image: true }).extend({ disk: z.object({ url: z.string().url(), checksum: z.string() }), powerOn: z.boolean() }),
  /** Cold migration undone (revert or failure): the source defines its guest again on the kept disk. */
  "server.migrateResume": serverBuild.omit({ image: true }).extend({ powerOn: z.boolean() }),
  /** Cold migration settled: the host that no longer runs the server drops its copy (no volumes). */
  "server.migrateDrop": z.object({ serverId: uuid, ports: z.array(portSpec) }),
  /** Nova rescue: the guest boots from a fresh disk of `image` with its own disk second (the rest is the guest to restore on failure). */
  "server.rescue": serverBuild.extend({ powerOn: z.boolean() }),
  /** Back from rescue: the rescue disk goes, the guest is defined again on its own disk. */
  "server.unrescue": serverBuild.omit({ image: true }).extend({ powerOn: z.boolean() }),
  ...snapshotCommands,
  ...volumeCommandPayloads,
  ...networkCommandPayloads,
  ...overlayCommandPayloads,
} as const;
export type CommandType = keyof typeof commandPayloads;
export type CommandPayload<T extends CommandType> = z.infer<(typeof commandPayloads)[T]>;

export const domainReport = z.object({
  serverId: uuid,
  powerState: z.number().int(),
});

export const eventPayloads = {
  "host.register": z.object({
    hostname: z.string(),
    vcpus: z.number().int().positive(),
    memoryMb: z.number().int().positive(),
    diskGb: z.number().int().nonnegative(),
    hypervisorType: z.string(),
    version: z.string(),
    /** Reported in os-hypervisors; optional so older daemons still register. */
    hostIp: z.string().optional(),
    arch: z.string().optional(),
    /** External networks (names or ids) this host reaches, for router placement; absent: all. */
    externalNetworks: z.array(z.string()).optional(),
    /** VXLAN tunnel endpoint (NIMBUS_UNDERLAY_IP, else the source address towards the broker). */
    underlayIp: z.string().optional(),
  }),
  "host.heartbeat": z.object({ runningServers: z.number().int().nonnegative() }),
  /** Every domain the host really has; sent on (re)connect and on host.sync. */
  "host.inventory": z.object({
    domains: z.array(domainReport),
    /** Routers whose namespaces the host has; the edge removes those not placed on it. */
    routers: z.array(z.string()).optional(),
  }),
  "server.progress": z.object({
    serverId: uuid,
    commandId: uuid,
    taskState: z.string(),
    progress: z.number().int().min(0).max(100),
  }),
  "server.state": z.object({
    serverId: uuid,
    commandId: uuid,
    vmState: z.enum(["active", "stopped", "error", "deleted", "paused", "suspended", "resized", "rescued"]),
    powerState: z.number().int(),
    fault: z.object({ message: z.string(), details: z.string().optional() }).optional(),
  }),
  ...volumeEventPayloads,
} as const;
export type EventType = keyof typeof eventPayloads;
export type EventPayload<T extends EventType> = z.infer<(typeof eventPayloads)[T]>;

/** One envelope for every message on the bus. */
export const envelope = z.object({
  id: uuid,
  v: z.literal(SCHEMA_VERSION),
  type: z.string(),
  ts: z.string(),
  payload: z.unknown(),
  /** Reply routing for brokers without MQTT 5 (aedes speaks 3.1.1); MQTT 5 uses properties. */
  replyTo: z.string().optional(),
});
export type Envelope = z.infer<typeof envelope>;

export const reply = z.object({
  id: uuid,
  v: z.literal(SCHEMA_VERSION),
  type: z.literal("reply"),
  ts: z.string(),
  inReplyTo: uuid,
  status: z.enum(["ok", "error"]),
  data: z.unknown().optional(),
  error: z.string().optional(),
});
export type Reply = z.infer<typeof reply>;

export const hostStatus = z.object({ state: z.enum(["online", "offline"]), ts: z.string() });

export function makeEnvelope(type: string, payload: unknown, id: string = crypto.randomUUID()): Envelope {
  return { id, v: SCHEMA_VERSION, type, ts: new Date().toISOString(), payload };
}

export function makeReply(inReplyTo: string, result: { ok: true; data: unknown } | { ok: false; error: string }): Reply {
  const base = { id: crypto.randomUUID(), v: SCHEMA_VERSION, type: "reply" as const, ts: new Date().toISOString(), inReplyTo };
  return result.ok ? { ...base, status: "ok", data: result.data } : { ...base, status: "error", error: result.error };
}

/** Parses a command envelope's payload against its schema; throws a zod error on mismatch. */
export function parseCommand<T extends CommandType>(type: T, payload: unknown): CommandPayload<T> {
  return commandPayloads[type].parse(payload) as CommandPayload<T>;
}

export function parseEvent<T extends EventType>(type: T, payload: unknown): EventPayload<T> {
  return eventPayloads[type].parse(payload) as EventPayload<T>;
}

export const isCommandType = (t: string): t is CommandType => t in commandPayloads;
export const isEventType = (t: string): t is EventType => t in eventPayloads;
