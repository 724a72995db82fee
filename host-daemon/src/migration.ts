import { powerStates, type CommandPayload, type EventPayload } from "#shared";
import { attachConfigDrive } from "./config-drive/attach.js";
import type { ConfigDriveWriter } from "./config-drive/writer.js";
import type { ComputeDriver, DomainSpec } from "./drivers/compute/types.js";
import type { NetworkDriver } from "./drivers/network/types.js";
import type { StorageDriver } from "./drivers/storage/types.js";
import { Revert } from "./revert.js";
import type { ServerRecords } from "./server-records.js";

/**
 * What a cold migration needs from the daemon. Hosts never talk to each other (they may sit behind
 * NAT): the source uploads the disk to the edge, the edge tells the destination where to fetch it.
 */
export interface MigrationContext {
  compute: ComputeDriver;
  storage: StorageDriver;
  network: NetworkDriver;
  records: ServerRecords;
  configDrive?: ConfigDriveWriter;
  forceConfigDrive?: boolean;
  stopGraceSeconds: number;
  name(serverId: string): string;
  progress(p: EventPayload<"server.progress">): Promise<void>;
  /** Reports the domain's real state (or `vmState` instead), with an optional fault; ends the command's task. */
  report(commandId: string, serverId: string, vmState?: "resized" | "rescued", fault?: { message: string }): Promise<unknown>;
  /** Reports the command failed: vm_state error with this fault (the edge moves the server back). */
  fail(commandId: string, serverId: string, err: Error): Promise<void>;
  syncMetadata(): Promise<void>;
}

export const isUp = (s: string | null) => s === "running" || s === "paused";

type Guest = CommandPayload<"server.migrateResume">;

/**
 * Defines and starts the guest on a disk already in place (records, ports, config drive, domain),
 * powering it off again when it was off; every step is undone if a later one fails.
 */
export async function defineGuest(h: MigrationContext, p: Guest, revert: Revert, disks?: Pick<DomainSpec, "diskPath" | "extraDisks">) {
  const name = h.name(p.serverId);
  await h.records.save(p.serverId, p.ports, p.guestConfig && { ...p.guestConfig, name: p.name });
  revert.add(() => h.records.remove(p.serverId));
  const nics = [];
  for (const port of p.ports) {
    const plugged = await h.network.plugPort(port);
    revert.add(() => h.network.unplugPort(port));
    nics.push({ mac: port.mac, bridge: plugged.bridge, tap: plugged.tap, mtu: port.mtu });
  }
  const spec: DomainSpec = {
    name, uuid: p.serverId, serverId: p.serverId, vcpus: p.vcpus, memoryMb: p.memoryMb, diskPath: h.storage.diskPath(p.serverId), diskFormat: "qcow2",
    nics, consoleLogPath: h.storage.consoleLogPath(p.serverId), configDrivePath: await attachConfigDrive(h, p, revert), ...disks,
  };
  revert.add(() => h.compute.destroy(name));
  await h.compute.spawn(spec);
  if (!p.powerOn) await h.compute.stop(name, 0);
}

/**
 * Source side: power the guest off and upload its flattened disk. The disk and ports stay until the
 * edge confirms (migrateDrop) or reverts (migrateResume); the domain is undefined, as the revert
 * defines it again (Nova does the same; it also keeps two hosts sharing one libvirtd, as in tests,
 * from holding two domains with one UUID). On failure the guest runs again as before, the edge
 * drops the partial upload, and the state report carries the fault.
 */
export async function migrateOut(h: MigrationContext, commandId: string, p: CommandPayload<"server.migrateOut">) {
  const name = h.name(p.serverId);
  const state = await h.compute.state(name);
  if (state === null) throw new Error("The domain does not exist on its host.");
  try {
    await h.progress({ serverId: p.serverId, commandId, taskState: "resize_migrating", progress: 20 });
    await h.compute.stop(name, h.stopGraceSeconds);
    await h.storage.snapshotToImage(p.serverId, p.diskUrl);
  } catch (err) {
    if (isUp(state)) await h.compute.start(name).catch(() => undefined);
    await h.storage.abandonImage(p.diskUrl).catch(() => undefined);
    await h.report(commandId, p.serverId, undefined, { message: `Cold migration failed on the source host: ${(err as Error).message}` });
    throw err;
  }
  await h.compute.destroy(name);
  // Success is the upload itself: the edge moves the server on to the destination when it lands.
  return {};
}

/** Destination side: the build of a new server, but its disk is the uploaded one. All or nothing. */
export async function migrateIn(h: MigrationContext, commandId: string, p: CommandPayload<"server.migrateIn">) {
  try {
    await h.progress({ serverId: p.serverId, commandId, taskState: "resize_finish", progress: 60 });
    if ((await h.compute.state(h.name(p.serverId))) === null) await Revert.run(async (revert) => {
      revert.add(() => h.storage.deleteServerFiles(p.serverId));
      await h.storage.importDisk(p.serverId, p.disk.url, p.disk.checksum);
      await defineGuest(h, p, revert);
    });
  } catch (err) {
    await h.storage.abandonImage(p.disk.url).catch(() => undefined);
    await h.fail(commandId, p.serverId, err as Error);
    throw err;
  }
  // The staging copy on the edge is no longer needed once the disk is here.
  await h.storage.abandonImage(p.disk.url).catch(() => undefined);
  await h.syncMetadata();
  return h.report(commandId, p.serverId, "resized");
}

/** Source side, on revert or a failed arrival: the guest is defined again on its kept disk. */
export async function migrateResume(h: MigrationContext, commandId: string, p: CommandPayload<"server.migrateResume">) {
  try {
    if ((await h.compute.state(h.name(p.serverId))) === null) await Revert.run((revert) => defineGuest(h, p, revert));
    else if (p.powerOn && !isUp(await h.compute.state(h.name(p.serverId)))) await h.compute.start(h.name(p.serverId));
    await h.syncMetadata();
  } finally {
    await h.report(commandId, p.serverId);
  }
  return {};
}

/** The host that no longer runs the server drops its copy: domain, ports, files, records. */
export async function migrateDrop(h: MigrationContext, _commandId: string, p: CommandPayload<"server.migrateDrop">) {
  await h.compute.destroy(h.name(p.serverId));
  for (const port of p.ports) await h.network.unplugPort(port);
  await h.configDrive?.remove(p.serverId);
  await h.storage.deleteServerFiles(p.serverId);
  await h.records.remove(p.serverId);
  await h.syncMetadata();
  return { powerState: powerStates.NOSTATE };
}
