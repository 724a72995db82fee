import { and, eq, isNull } from "drizzle-orm";
import { envelope, hostStatus, isEventType, isVolumeEventType, parseEvent, type EventPayload } from "#shared";
import type { Db } from "../db/client.js";
import { hosts, servers } from "../db/schema.js";
import { createCommand, deleteCommand } from "../compute/commands.js";
import { reconcile, type ReconcileAction } from "../compute/reconcile.js";
import { finalizeDelete, markError } from "../compute/server-state.js";
import { finishEvents } from "../compute/actions/instance-actions.js";
import { autoConfirmResizes } from "../compute/actions/resize.js";
import { rescheduleBuild } from "../compute/actions/reschedule.js";
import { migrationCopies, migrationReport } from "../compute/actions/migrate.js";
import { recordService } from "../compute/host-report.js";
import type { Bus } from "./types.js";
import { ingestVolumeEvent } from "../volume/ingest.js";
import { settleHostDown } from "../volume/host-sync.js";
import { syncFirewalls } from "../network/firewall-sync.js";
import { evacuateRouters, moveRoutersOffSilentHosts, resyncHost } from "../network/router-sync.js";
import { recordExternalNetworks } from "../network/router-placement.js";
import { recordUnderlay, syncOverlays } from "../network/overlay-sync.js";

export interface IngestDeps {
  db: Db;
  bus: Bus;
  /** API origin hosts download images from when a build is sent again. */
  apiBase: string;
  /** Nova's resize_confirm_window; checked on each heartbeat of the host. */
  resizeConfirmWindowSeconds?: number;
}

const nowIso = () => new Date().toISOString();

/**
 * The single entry for everything hosts report. `hostId` comes from the topic, which the broker's
 * ACL only lets that host publish on, so a host can never speak for another.
 */
export async function ingest(deps: IngestDeps, hostId: string, kind: "events" | "status", raw: unknown): Promise<void> {
  if (kind === "status") {
    const status = hostStatus.parse(raw);
    await deps.db.update(hosts).set({ online: status.state === "online", ...(status.state === "online" ? { lastSeenAt: nowIso() } : {}) }).where(eq(hosts.id, hostId));
    if (status.state !== "online") await settleHostDown(deps.db, hostId);
    // A lost host's routers move to another host at once (their namespaces serve floating IPs).
    if (status.state === "offline") await evacuateRouters(deps.db, deps.bus, hostId);
    await syncOverlays(deps.db, deps.bus);
    return;
  }
  const msg = envelope.parse(raw);
  if (!isEventType(msg.type)) throw new Error(`unknown event type ${msg.type}`);
  if (isVolumeEventType(msg.type)) return ingestVolumeEvent(deps.db, hostId, msg.type, msg.payload, deps.bus);
  switch (msg.type) {
    case "host.register": {
      const p = parseEvent("host.register", msg.payload);
      await register(deps.db, hostId, p);
      if (p.underlayIp) await recordUnderlay(deps.db, hostId, p.underlayIp);
      return syncOverlays(deps.db, deps.bus);
    }
    case "host.heartbeat":
      await heartbeat(deps.db, hostId, parseEvent("host.heartbeat", msg.payload));
      if (deps.resizeConfirmWindowSeconds) await autoConfirmResizes(deps, hostId, deps.resizeConfirmWindowSeconds);
      await moveRoutersOffSilentHosts(deps.db, deps.bus);
      return;
    case "server.progress": return progress(deps.db, parseEvent("server.progress", msg.payload));
    case "server.state": {
      const p = parseEvent("server.state", msg.payload);
      await serverState(deps, hostId, p);
      // A deleted server's ports are gone: the host drops their firewall rules.
      if (p.vmState === "deleted") await syncFirewalls(deps.db, deps.bus, [hostId]);
      return;
    }
    case "host.inventory": await syncFirewalls(deps.db, deps.bus, [hostId]); await resyncHost(deps.db, deps.bus, hostId, parseEvent("host.inventory", msg.payload).routers); return inventory(deps, hostId, parseEvent("host.inventory", msg.payload));
  }
}

async function touch(db: Db, hostId: string) {
  await db.update(hosts).set({ online: true, lastSeenAt: nowIso() }).where(eq(hosts.id, hostId));
}

async function heartbeat(db: Db, hostId: string, p: EventPayload<"host.heartbeat">) {
  await touch(db, hostId);
  await recordService(db, hostId, { runningVms: p.runningServers });
}

async function register(db: Db, hostId: string, p: EventPayload<"host.register">) {
  await recordService(db, hostId, { hostIp: p.hostIp ?? "", arch: p.arch ?? "" });
  await recordExternalNetworks(db, hostId, p.externalNetworks);
  await db.update(hosts).set({
    hostname: p.hostname, vcpus: p.vcpus, memoryMb: p.memoryMb, diskGb: p.diskGb, hypervisorType: p.hypervisorType,
    version: p.version, online: true, lastSeenAt: nowIso(), updatedAt: nowIso(),
  }).where(eq(hosts.id, hostId));
}

async function progress(db: Db, p: EventPayload<"server.progress">) {
  await db.update(servers).set({ taskState: p.taskState, progress: p.progress, updatedAt: nowIso() })
    .where(and(eq(servers.id, p.serverId), eq(servers.commandId, p.commandId)));
}

/** Applies a command's outcome, unless a newer command has taken over the server since. */
async function serverState(deps: IngestDeps, hostId: string, p: EventPayload<"server.state">) {
  const { db } = deps;
  const guard = and(eq(servers.id, p.serverId), eq(servers.hostId, hostId), eq(servers.commandId, p.commandId));
  await finishEvents(db, p.serverId, p.vmState === "error" || p.fault ? p.fault?.message ?? "The host failed the operation." : undefined, hostId);
  if (p.vmState === "deleted") {
    const current = (await db.select({ id: servers.id }).from(servers).where(guard))[0];
    if (current) await finalizeDelete(db, p.serverId);
    return;
  }
  if (p.vmState === "error") {
    const current = (await db.select({ id: servers.id }).from(servers).where(guard))[0];
    if (current && (await migrationReport(deps, hostId, p) || await rescheduleBuild(deps, hostId, p.serverId))) return;
    if (current) await markError(db, p.serverId, p.fault?.message ?? "The host failed the operation.", p.fault?.details);
    return;
  }
  const row = (await db.select({ launchedAt: servers.launchedAt }).from(servers).where(guard))[0];
  if (!row) return;
  if (p.fault) await migrationReport(deps, hostId, p);
  await db.update(servers).set({
    vmState: p.vmState, powerState: p.powerState, taskState: null, commandId: null, progress: 100, fault: null,
    launchedAt: row.launchedAt ?? (p.vmState === "active" ? nowIso() : null), updatedAt: nowIso(),
  }).where(guard);
}

async function inventory(deps: IngestDeps, hostId: string, p: EventPayload<"host.inventory">) {
  const { db } = deps;
  await touch(db, hostId);
  const known = await db.select().from(servers).where(and(eq(servers.hostId, hostId), isNull(servers.deletedAt)));
  const kept = await migrationCopies(db, hostId); // the other end of a cold migration is no orphan
  const domains = p.domains.filter((d) => !kept.has(d.serverId) || known.some((s) => s.id === d.serverId));
  for (const action of reconcile(known, domains)) await apply(deps, hostId, action, known.find((s) => s.id === action.serverId));
}

async function apply(deps: IngestDeps, hostId: string, a: ReconcileAction, s: (typeof servers)["$inferSelect"] | undefined) {
  const { db, bus } = deps;
  switch (a.kind) {
    case "sync-power":
      await db.update(servers).set({ powerState: a.powerState, vmState: a.vmState, updatedAt: nowIso() }).where(and(eq(servers.id, a.serverId), isNull(servers.taskState)));
      return;
    case "finish-delete": return finalizeDelete(db, a.serverId);
    case "lost": return markError(db, a.serverId, "The instance is gone from its host.");
    case "delete-orphan": await bus.cast(hostId, "server.delete", { serverId: a.serverId, ports: [] }); return;
    case "resend-delete": await bus.cast(hostId, "server.delete", await deleteCommand(db, s!), s!.commandId ?? undefined); return;
    case "resend-create":
      try {
        await bus.cast(hostId, "server.create", await createCommand(db, s!, deps.apiBase), s!.commandId ?? undefined);
      } catch (err) {
        await markError(db, a.serverId, "The build could not be resumed.", String(err));
      }
  }
}
