import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import type { CommandPayload, EventPayload, RootVolumeSpec, VolumeSource } from "#shared";
import type { ComputeDriver } from "../compute/types.js";
import type { StorageDriver } from "../storage/types.js";
import { qemuFormat } from "../storage/image-format.js";
import type { DiskAttacher, LocalVolumeSource, VolumeDriver } from "./types.js";

export interface VolumeHandlerDeps {
  volume?: VolumeDriver;
  attacher?: DiskAttacher;
  storage: StorageDriver;
  /** Pauses guests around a snapshot of a volume they use. */
  compute?: Pick<ComputeDriver, "state" | "pause" | "unpause">;
  /** libvirt domain name of a server. */
  domainName: (serverId: string) => string;
  event: <T extends "volume.state" | "volume.snapshot-state" | "volume.inventory">(type: T, payload: EventPayload<T>) => Promise<void>;
}

type VolumeCommand = "volume.create" | "volume.delete" | "volume.extend" | "volume.snapshot" | "volume.snapshot-delete" | "volume.attach" | "volume.detach";
export type VolumeHandlers = { [K in VolumeCommand]: (commandId: string, p: CommandPayload<K>) => Promise<unknown> };

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The host's side of block storage. Every outcome of a long operation is reported as an event
 * carrying the command id (the edge applies it only if that command still owns the volume);
 * attach and detach are calls, answered directly.
 */
export function volumeHandlers(d: VolumeHandlerDeps): VolumeHandlers {
  const pool = () => {
    if (!d.volume) throw new Error("this host has no volume backend");
    return d.volume;
  };
  const attacher = () => {
    if (!d.attacher) throw new Error("this host cannot attach volumes");
    return d.attacher;
  };
  /** Runs a volume operation and reports its outcome, error included (then rethrows for the reply). */
  const reported = async (report: (error?: string) => Promise<void>, work: () => Promise<void>) => {
    try {
      await work();
    } catch (err) {
      await report(message(err));
      throw err;
    }
    await report();
    return {};
  };

  /** An attached volume of a running guest grows live (the file is locked by QEMU); otherwise the file grows directly. */
  const extendVolume = async (p: CommandPayload<"volume.extend">) => {
    if (p.attachment && d.attacher && (await d.attacher.resize(d.domainName(p.attachment.serverId), p.attachment.device, p.sizeGb))) return;
    await pool().extend(p.volumeId, p.sizeGb);
  };

  return {
    "volume.create": (commandId, p) => reported(
      (error) => d.event("volume.state", { volumeId: p.volumeId, commandId, status: error ? "error" : "available", sizeGb: p.sizeGb, error }),
      async () => pool().create(p.volumeId, p.sizeGb, await localSource(d.storage, p.source)),
    ),
    "volume.delete": (commandId, p) => reported(
      (error) => d.event("volume.state", { volumeId: p.volumeId, commandId, status: error ? "error" : "deleted", error }),
      () => pool().delete(p.volumeId),
    ),
    "volume.extend": (commandId, p) => reported(
      (error) => d.event("volume.state", { volumeId: p.volumeId, commandId, status: error ? "error" : "available", ...(error ? { error } : { sizeGb: p.sizeGb }) }),
      () => extendVolume(p),
    ),
    "volume.snapshot": (commandId, p) => reported(
      (error) => d.event("volume.snapshot-state", { snapshotId: p.snapshotId, commandId, status: error ? "error" : "available", error }),
      () => withGuestsPaused(d, p.pauseServers ?? [], () => pool().snapshot(p.volumeId, p.snapshotId)),
    ),
    "volume.snapshot-delete": (commandId, p) => reported(
      (error) => d.event("volume.snapshot-state", { snapshotId: p.snapshotId, commandId, status: error ? "error" : "deleted", error }),
      () => pool().deleteSnapshot(p.snapshotId),
    ),
    "volume.attach": async (_id, p) => {
      const { path, format } = pool().locate(p.volumeId);
      await attacher().attach(d.domainName(p.serverId), { path, format, device: p.device, readonly: p.readonly, serial: p.volumeId });
      return { device: p.device };
    },
    "volume.detach": async (_id, p) => {
      await attacher().detach(d.domainName(p.serverId), p.device);
      return {};
    },
  };
}

/**
 * Runs `work` with the running guests among `serverIds` paused (libvirt suspend), so a copy of a
 * disk they write is consistent; each guest paused here is resumed afterwards, whatever happened.
 */
export async function withGuestsPaused(d: Pick<VolumeHandlerDeps, "compute" | "domainName">, serverIds: string[], work: () => Promise<void>) {
  const paused: string[] = [];
  try {
    for (const id of serverIds) {
      const domain = d.domainName(id);
      // Only running guests: a stopped or already paused one writes nothing, and is left as it was.
      if (!d.compute || (await d.compute.state(domain)) !== "running") continue;
      await d.compute.pause(domain);
      paused.push(domain);
    }
    await work();
  } finally {
    const failures: unknown[] = [];
    for (const domain of paused.reverse()) await d.compute!.unpause(domain).catch((err: unknown) => { failures.push(err); });
    // A guest left paused is the worse failure: it is reported over the copy's own.
    if (failures.length > 0) throw failures[0];
  }
}

/** Image sources become the host's cached copy of the image, in its declared format (never probed). */
async function localSource(storage: StorageDriver, s: VolumeSource): Promise<LocalVolumeSource> {
  if (s.kind !== "image") return s;
  return { kind: "file", path: await storage.ensureImage(s.image), format: qemuFormat(s.image.diskFormat) };
}

const poolOf = (d: Pick<VolumeHandlerDeps, "volume">) => {
  if (!d.volume) throw new Error("this host has no volume backend");
  return d.volume;
};

/**
 * The root disk of a server booting from a volume: made first when the build must create it (its
 * outcome reported under the volume's own command id), then used in place from the pool.
 */
export async function prepareRootVolume(d: VolumeHandlerDeps, serverId: string, spec: RootVolumeSpec) {
  const pool = poolOf(d);
  if (spec.create) {
    try {
      await pool.create(spec.volumeId, spec.create.sizeGb, await localSource(d.storage, spec.create.source));
    } catch (err) {
      await d.event("volume.state", { volumeId: spec.volumeId, commandId: spec.commandId, status: "error", error: message(err) });
      throw err;
    }
    await d.event("volume.state", { volumeId: spec.volumeId, commandId: spec.commandId, status: "available", sizeGb: spec.create.sizeGb });
  }
  // No instance disk is made, but the serial console log lives in the instance's directory.
  await mkdir(dirname(d.storage.consoleLogPath(serverId)), { recursive: true, mode: 0o755 });
  return pool.locate(spec.volumeId);
}

/** delete_on_termination volumes go with their server. */
export async function deleteServerVolumes(d: Pick<VolumeHandlerDeps, "volume">, ids: string[] | undefined) {
  for (const id of ids ?? []) await poolOf(d).delete(id);
}

/** The pool's capacity and contents, for the edge to reconcile after a (re)connect. */
export async function reportVolumeInventory(d: Pick<VolumeHandlerDeps, "volume" | "event"> & { attached?: AttachedScan }) {
  if (!d.volume) return;
  const inv = await d.volume.inventory();
  const attachments = d.attached ? await scanAttachments(d.volume, inv.volumes, d.attached) : undefined;
  await d.event("volume.inventory", { backend: d.volume.backend, ...inv, ...(attachments ? { attachments } : {}) });
}

/** The host's domains (server ids) whose disks are read for pool volumes, and how. */
export interface AttachedScan {
  attacher?: DiskAttacher;
  servers: string[];
  domainName: (serverId: string) => string;
}

/** Which pool volumes each domain has plugged in; a domain that cannot be read is left out (not "no disks"). */
async function scanAttachments(pool: VolumeDriver, volumeIds: string[], scan: AttachedScan) {
  if (!scan.attacher) return undefined;
  const byPath = new Map(volumeIds.map((id) => [pool.locate(id).path, id]));
  const servers: string[] = [];
  const disks: Array<{ serverId: string; volumeId: string; device: string }> = [];
  for (const serverId of scan.servers) {
    const found = await scan.attacher.listDisks(scan.domainName(serverId)).catch(() => null);
    if (!found) continue;
    servers.push(serverId);
    for (const disk of found) {
      const volumeId = byPath.get(disk.path);
      if (volumeId) disks.push({ serverId, volumeId, device: disk.device });
    }
  }
  return { servers, disks };
}
