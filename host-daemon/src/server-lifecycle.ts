import type { CommandPayload } from "#shared";
import type { ComputeDriver, DomainSpec } from "./drivers/compute/types.js";
import type { NetworkDriver } from "./drivers/network/types.js";
import type { StorageDriver } from "./drivers/storage/types.js";
import { Revert } from "./revert.js";

type Build = CommandPayload<"server.rebuild">;

/** What rebuild and resize need from the daemon. */
export interface LifecycleContext {
  compute: ComputeDriver;
  storage: StorageDriver;
  network: NetworkDriver;
  name(serverId: string): string;
  stopGraceSeconds: number;
  /** Reports the domain's real state (or `vmState` instead, e.g. resized), which ends the command's task. */
  report(commandId: string, serverId: string, vmState?: "resized"): Promise<unknown>;
  /** Reports the command failed: the server goes to ERROR with this fault. */
  fail(commandId: string, serverId: string, err: Error): Promise<void>;
}

/** The domain for a build payload; ports are plugged again (idempotent), an existing disk is reused. */
async function specFor(h: LifecycleContext, p: Build): Promise<DomainSpec> {
  const nics = [];
  for (const port of p.ports) {
    const plugged = await h.network.plugPort(port);
    nics.push({ mac: port.mac, bridge: plugged.bridge, tap: plugged.tap, mtu: port.mtu });
  }
  const disk = await h.storage.createDisk(p.serverId, await h.storage.ensureImage(p.image), p.diskGb);
  return {
    name: h.name(p.serverId), uuid: p.serverId, serverId: p.serverId, vcpus: p.vcpus, memoryMb: p.memoryMb, diskPath: disk,
    diskFormat: "qcow2", nics, consoleLogPath: h.storage.consoleLogPath(p.serverId),
  };
}

/** Whether the guest should be running after an operation that had to power it off. */
async function isOn(h: LifecycleContext, name: string) {
  const state = await h.compute.state(name);
  if (state === null) throw new Error("The domain does not exist on its host.");
  return state === "running" || state === "paused";
}

/** Defines and starts the domain from `spec`, then powers it off again if it was off before. */
async function boot(h: LifecycleContext, spec: DomainSpec, on: boolean) {
  await h.compute.spawn(spec);
  if (!on) await h.compute.stop(spec.name, 0);
}

async function guarded(h: LifecycleContext, commandId: string, serverId: string, work: () => Promise<unknown>) {
  try {
    return await work();
  } catch (err) {
    await h.fail(commandId, serverId, err as Error);
    throw err;
  }
}

/** Rebuild: a fresh disk from the new image, the same ports; a stopped server stays stopped. */
export function rebuild(h: LifecycleContext, commandId: string, p: Build) {
  return guarded(h, commandId, p.serverId, async () => {
    const name = h.name(p.serverId);
    const on = await isOn(h, name);
    await h.compute.destroy(name);
    await h.storage.deleteServerFiles(p.serverId);
    await boot(h, await specFor(h, p), on);
    return h.report(commandId, p.serverId);
  });
}

/**
 * Resize on this host: power off, keep the old disk, grow the disk, redefine at the new size.
 * Any failure puts the old disk back and restarts the guest as it was.
 */
export function resize(h: LifecycleContext, commandId: string, p: Build) {
  return guarded(h, commandId, p.serverId, async () => {
    const name = h.name(p.serverId);
    const on = await isOn(h, name);
    await Revert.run(async (revert) => {
      await h.compute.stop(name, h.stopGraceSeconds);
      if (on) revert.add(() => h.compute.start(name));
      await h.storage.keepDisk(p.serverId);
      revert.add(() => h.storage.restoreKeptDisk(p.serverId));
      await h.storage.growDisk(p.serverId, p.diskGb);
      await boot(h, await specFor(h, p), on);
    });
    return h.report(commandId, p.serverId, "resized");
  });
}

/** Revert: back to the kept disk and the old size (`p` is the pre-resize build). */
export function revertResize(h: LifecycleContext, commandId: string, p: Build) {
  return guarded(h, commandId, p.serverId, async () => {
    const name = h.name(p.serverId);
    const on = await isOn(h, name);
    await h.compute.stop(name, h.stopGraceSeconds);
    await h.storage.restoreKeptDisk(p.serverId);
    await boot(h, await specFor(h, p), on);
    return h.report(commandId, p.serverId);
  });
}

/** Confirm: the new size stays, the kept disk goes. */
export async function confirmResize(h: LifecycleContext, commandId: string, serverId: string) {
  await h.storage.dropKeptDisk(serverId);
  return h.report(commandId, serverId);
}
