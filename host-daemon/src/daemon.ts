import {
  domainName, envelope, isCommandType, makeEnvelope, makeReply, parseCommand, powerStates,
  type CommandPayload, type CommandType, type Envelope, type EventPayload, type EventType,
} from "#shared";
import type { ConfigDriveWriter } from "./config-drive/writer.js";
import { attachConfigDrive } from "./config-drive/attach.js";
import type { ComputeDriver, DomainSpec, DomainState } from "./drivers/compute/types.js";
import type { NetworkDriver } from "./drivers/network/types.js";
import type { StorageDriver } from "./drivers/storage/types.js";
import { deleteServerVolumes, prepareRootVolume, reportVolumeInventory, volumeHandlers, type VolumeHandlerDeps } from "./drivers/volume/handlers.js";
import type { DiskAttacher, VolumeDriver } from "./drivers/volume/types.js";
import { Revert } from "./revert.js";
import { SerialQueue } from "./serial-queue.js";
import * as lifecycle from "./server-lifecycle.js";
import * as migration from "./migration.js";
import * as rescue from "./rescue.js";
import { snapshotServer } from "./snapshot.js";
import type { ServerRecords } from "./server-records.js";

export interface DaemonDeps {
  compute: ComputeDriver;
  storage: StorageDriver;
  network: NetworkDriver;
  records: ServerRecords;
  /** Block storage: the host's volume pool and disk hot-plug (absent on hosts without volumes). */
  volume?: VolumeDriver;
  attacher?: DiskAttacher;
  /** Publishes an event envelope on this host's events topic. */
  emit: (msg: Envelope) => Promise<void>;
  /** Publishes a reply on the given topic (MQTT 5 correlation data travels with it). */
  reply: (topic: string, msg: unknown, correlation?: Buffer) => Promise<void>;
  namePrefix: string;
  /** Seconds a guest gets to shut down on ACPI before it is powered off. */
  stopGraceSeconds: number;
  log?: (msg: string) => void;
  /** Builds config drives; without one, servers get none. */
  configDrive?: ConfigDriveWriter;
  /** Nova's force_config_drive: every server gets one, asked for or not. */
  forceConfigDrive?: boolean;
  /** The metadata service; told when the set of servers changes. */
  metadata?: { sync(): Promise<void> };
}

const powerOf = (s: DomainState | null) =>
  s === "running" ? powerStates.RUNNING : s === "paused" ? powerStates.PAUSED : s === "crashed" ? powerStates.CRASHED : s ? powerStates.SHUTDOWN : powerStates.NOSTATE;

const vmStateOf = (s: DomainState) => (s === "running" ? "active" : s === "paused" || s === "suspended" ? s : "stopped");

/** Executes host commands through the drivers; one command at a time per server. */
export class HostDaemon {
  private readonly perServer = new SerialQueue();

  constructor(private readonly d: DaemonDeps) {}

  /** Publishes an event on this host's events topic. */
  event<T extends EventType>(type: T, payload: EventPayload<T>) {
    return this.d.emit(makeEnvelope(type, payload));
  }

  private name(serverId: string) {
    return domainName(serverId, this.d.namePrefix);
  }

  /** Entry for every message on the command topic; never throws. */
  async handle(raw: Uint8Array, replyTopic?: string, correlation?: Buffer): Promise<void> {
    let env: Envelope;
    try {
      env = envelope.parse(JSON.parse(new TextDecoder().decode(raw)));
    } catch (err) {
      this.d.log?.(`dropping malformed command: ${(err as Error).message}`);
      return;
    }
    const replyTo = replyTopic ?? env.replyTo;
    const answer = (result: Parameters<typeof makeReply>[1]) => (replyTo ? this.d.reply(replyTo, makeReply(env.id, result), correlation) : Promise.resolve());
    if (!isCommandType(env.type)) return answer({ ok: false, error: `unknown command ${env.type}` });
    try {
      const payload = parseCommand(env.type, env.payload);
      const serverId = "serverId" in payload ? (payload.serverId as string) : "volumeId" in payload ? `volume:${payload.volumeId as string}` : "";
      const data = await this.perServer.run(serverId, () => this.dispatch(env.type as CommandType, env.id, payload));
      await answer({ ok: true, data });
    } catch (err) {
      this.d.log?.(`${env.type} ${env.id} failed: ${(err as Error).message}`);
      await answer({ ok: false, error: (err as Error).message });
    }
  }

  private dispatch(type: CommandType, id: string, p: unknown): Promise<unknown> {
    const table: { [K in CommandType]: (id: string, p: CommandPayload<K>) => Promise<unknown> } = {
      "server.create": (i, x) => this.create(i, x),
      "server.start": (i, x) => this.power(i, x.serverId, () => this.d.compute.start(this.name(x.serverId))),
      "server.stop": (i, x) => this.power(i, x.serverId, () => this.d.compute.stop(this.name(x.serverId), this.d.stopGraceSeconds)),
      "server.reboot": (i, x) => this.power(i, x.serverId, () => this.d.compute.reboot(this.name(x.serverId), x.hard)),
      "server.delete": (i, x) => this.delete(i, x),
      "server.console": async (_i, x) => ({ output: await this.d.storage.readConsole(x.serverId, x.length) }),
      "host.sync": () => this.sendInventory(),
      "server.pause": (i, x) => this.power(i, x.serverId, () => this.d.compute.pause(this.name(x.serverId))),
      "server.unpause": (i, x) => this.power(i, x.serverId, () => this.d.compute.unpause(this.name(x.serverId))),
      "server.suspend": (i, x) => this.power(i, x.serverId, () => this.d.compute.suspend(this.name(x.serverId))),
      "server.resume": (i, x) => this.power(i, x.serverId, () => this.d.compute.resume(this.name(x.serverId))),
      "server.rebuild": (i, x) => lifecycle.rebuild(this.lifecycle, i, x),
      "server.resize": (i, x) => lifecycle.resize(this.lifecycle, i, x),
      "server.confirmResize": (i, x) => lifecycle.confirmResize(this.lifecycle, i, x.serverId),
      "server.revertResize": (i, x) => lifecycle.revertResize(this.lifecycle, i, x),
      "server.migrateOut": (i, x) => migration.migrateOut(this.migration, i, x),
      "server.migrateIn": (i, x) => migration.migrateIn(this.migration, i, x),
      "server.migrateResume": (i, x) => migration.migrateResume(this.migration, i, x),
      "server.migrateDrop": (i, x) => migration.migrateDrop(this.migration, i, x),
      "server.rescue": (i, x) => rescue.rescue(this.migration, i, x),
      "server.unrescue": (i, x) => rescue.unrescue(this.migration, i, x),
      "server.snapshot": (i, x) => snapshotServer({ storage: this.d.storage, progress: (e) => this.event("server.progress", e), reportState: () => this.reportState(i, x.serverId) }, i, x),
      ...volumeHandlers(this.volumeDeps()),
      "network.firewall": async (_i, x) => { await this.d.network.applyFirewall(x.ports); return {}; },
      "network.router": async (_i, x) => { await this.d.network.applyRouter(x.router); return {}; },
      "network.router-delete": async (_i, x) => { await this.d.network.deleteRouter(x.routerId); return {}; },
      "network.overlay": async (_i, x) => { await this.d.network.applyOverlay(x.networks); return {}; },
      "server.interface-attach": async (_i, x) => { await this.d.network.attachToDomain(this.name(x.serverId), x.port); return {}; },
      "server.interface-detach": async (_i, x) => { await this.d.network.detachFromDomain(this.name(x.serverId), x.port); return {}; },
    };
    return (table[type] as (id: string, p: unknown) => Promise<unknown>)(id, p);
  }

  /** Builds a server; on any failure every side effect so far is undone and ERROR reported. */
  private async create(commandId: string, p: CommandPayload<"server.create">) {
    const name = this.name(p.serverId);
    if ((await this.d.compute.state(name)) === "running") return this.reportState(commandId, p.serverId);
    const progress = (taskState: string, pct: number) => this.event("server.progress", { serverId: p.serverId, commandId, taskState, progress: pct });
    try {
      await Revert.run(async (revert) => {
        await progress("networking", 10);
        await this.d.records.save(p.serverId, p.ports, p.guestConfig && { ...p.guestConfig, name: p.name });
        revert.add(() => this.d.records.remove(p.serverId));
        const nics = [];
        for (const port of p.ports) {
          const plugged = await this.d.network.plugPort(port);
          revert.add(() => this.d.network.unplugPort(port));
          nics.push({ mac: port.mac, bridge: plugged.bridge, tap: plugged.tap, mtu: port.mtu });
        }
        await progress("block_device_mapping", 30);
        revert.add(() => this.d.storage.deleteServerFiles(p.serverId));
        const root = p.rootVolume
          ? await prepareRootVolume(this.volumeDeps(), p.serverId, p.rootVolume)
          : { path: await this.d.storage.createDisk(p.serverId, await this.d.storage.ensureImage(p.image!), p.diskGb), format: "qcow2" as const };
        await progress("spawning", 70);
        const spec: DomainSpec = {
          name, uuid: p.serverId, serverId: p.serverId, vcpus: p.vcpus, memoryMb: p.memoryMb, diskPath: root.path,
          diskFormat: root.format, nics, consoleLogPath: this.d.storage.consoleLogPath(p.serverId),
          configDrivePath: await attachConfigDrive(this.d, p, revert),
        };
        revert.add(() => this.d.compute.destroy(name));
        await this.d.compute.spawn(spec);
      });
    } catch (err) {
      await this.event("server.state", { serverId: p.serverId, commandId, vmState: "error", powerState: powerStates.NOSTATE, fault: { message: (err as Error).message } });
      throw err;
    }
    await this.syncMetadata();
    return this.reportState(commandId, p.serverId);
  }

  /** A metadata failure must not fail the build or delete: it is logged. */
  private async syncMetadata() {
    await this.d.metadata?.sync().catch((err: Error) => this.d.log?.(`metadata sync failed: ${err.message}`));
  }

  private volumeDeps(): VolumeHandlerDeps {
    return { ...this.d, domainName: (id) => this.name(id), event: (t, p) => this.event(t, p) };
  }

  private async power(commandId: string, serverId: string, act: () => Promise<void>) {
    try {
      await act();
    } finally {
      await this.reportState(commandId, serverId); // the real state clears the task either way
    }
  }

  private async delete(commandId: string, p: CommandPayload<"server.delete">) {
    await this.d.compute.destroy(this.name(p.serverId));
    // The edge may no longer know the ports (an orphan found on reconnect): the host's record does.
    const known = await this.d.records.ports(p.serverId);
    const ports = [...p.ports, ...known.filter((k) => !p.ports.some((x) => x.portId === k.portId))];
    for (const port of ports) await this.d.network.unplugPort(port);
    await this.d.configDrive?.remove(p.serverId);
    await this.d.storage.deleteServerFiles(p.serverId);
    await deleteServerVolumes(this.d, p.deleteVolumes);
    await this.d.records.remove(p.serverId);
    await this.syncMetadata();
    await this.event("server.state", { serverId: p.serverId, commandId, vmState: "deleted", powerState: powerStates.NOSTATE });
    return {};
  }

  /** What rebuild and resize (server-lifecycle.ts) use of this daemon. */
  private get lifecycle(): lifecycle.LifecycleContext {
    return {
      compute: this.d.compute, storage: this.d.storage, network: this.d.network, stopGraceSeconds: this.d.stopGraceSeconds,
      name: (id) => this.name(id),
      report: (commandId, serverId, vmState) => this.reportState(commandId, serverId, vmState),
      fail: (commandId, serverId, err) => this.event("server.state", { serverId, commandId, vmState: "error", powerState: powerStates.NOSTATE, fault: { message: err.message } }),
    };
  }

  /** What cold migration (migration.ts) uses of this daemon. */
  private get migration(): migration.MigrationContext {
    return {
      ...this.lifecycle, records: this.d.records, configDrive: this.d.configDrive, forceConfigDrive: this.d.forceConfigDrive,
      progress: (e) => this.event("server.progress", e),
      report: (commandId, serverId, vmState, fault) => this.reportState(commandId, serverId, vmState, fault),
      syncMetadata: () => this.syncMetadata(),
    };
  }

  private async reportState(commandId: string, serverId: string, whenUp?: "resized" | "rescued", failure?: { message: string }) {
    const state = await this.d.compute.state(this.name(serverId));
    const powerState = powerOf(state);
    const vmState = state === null ? "error" : whenUp ?? vmStateOf(state);
    const fault = state === null ? { message: "The domain does not exist on its host." } : failure;
    await this.event("server.state", { serverId, commandId, vmState, powerState, fault });
    return { vmState, powerState };
  }

  /** Reports every domain this host has, so the edge can reconcile after a reconnect. */
  async sendInventory() {
    const domains = (await this.d.compute.list())
      .filter((dom) => dom.name.startsWith(this.d.namePrefix))
      .map((dom) => ({ serverId: dom.name.slice(this.d.namePrefix.length), powerState: powerOf(dom.state) }));
    await this.event("host.inventory", { domains, routers: await this.d.network.listRouters() });
    await reportVolumeInventory({
      volume: this.d.volume, event: (t, p) => this.event(t, p),
      attached: { attacher: this.d.attacher, servers: domains.map((dom) => dom.serverId), domainName: (id) => this.name(id) },
    });
    return { domains: domains.length };
  }
}
