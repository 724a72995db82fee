import { and, eq, isNull, or } from "drizzle-orm";
import ipaddr from "ipaddr.js";
import { z } from "zod";
import type { Db, DbOrTx } from "../db/client.js";
import { flavors, networks, servers } from "../db/schema.js";
import type { AuthContext, Deps } from "../lib/context.js";
import { ApiError } from "../lib/errors.js";
import { findImage } from "../image/service.js";
import { assertImageBootable } from "../image/boot-check.js";
import { claimablePort, type Nic, plugNics, resolveSecurityGroups } from "../network/nova-ports.js";
import { syncFirewalls } from "../network/firewall-sync.js";
import { createCommand, deleteCommand } from "./commands.js";
import { parseConfigDrive, validateUserData } from "./guest-config.js";
import { findKeypair } from "./keypairs.js";
import { preparePlacement, type Placement } from "./server-placement.js";
import { claimTask, finalizeDelete, markError } from "./server-state.js";
import { bootHostCandidates, claimBootVolume, resolveBootVolume, type BootVolume } from "../volume/boot.js";
import { actionRule, canStart, type ServerAction } from "./state.js";
import type { CommandType } from "#shared";

/** Upper bound of one multi-create request (Nova bounds it by quota). */
const MAX_MULTI_CREATE = 10;

export const createServerBody = z.object({
  server: z.object({
    name: z.string().trim().min(1).max(255),
    /** Empty when booting from a volume (block_device_mapping_v2). */
    imageRef: z.string().optional(),
    flavorRef: z.string().min(1),
    networks: z.union([z.literal("auto"), z.literal("none"), z.array(z.object({ uuid: z.string().optional(), port: z.string().optional(), fixed_ip: z.string().optional() }))]).optional(),
    metadata: z.record(z.string().min(1).max(255), z.string().max(255)).default({}),
    key_name: z.string().optional(),
    adminPass: z.string().optional(),
    accessIPv4: z.ipv4().optional(),
    accessIPv6: z.ipv6().optional(),
    security_groups: z.array(z.object({ name: z.string() })).optional(),
    min_count: z.coerce.number().int().min(1).max(MAX_MULTI_CREATE).optional(),
    max_count: z.coerce.number().int().min(1).max(MAX_MULTI_CREATE).optional(),
    config_drive: z.unknown().optional(),
    user_data: z.string().nullable().optional(),
  }).passthrough(),
});

const bad = (msg: string) => new ApiError(400, msg, "badRequest");

/** Nova stores IPv6 access addresses in RFC 5952 form (`::babe:dc0c:1602`). */
const canonicalIpv6 = (ip: string | undefined) => (ip ? ipaddr.IPv6.parse(ip).toRFC5952String() : "");

async function resolveNetworks(db: Db, auth: AuthContext, requested: z.infer<typeof createServerBody>["server"]["networks"]) {
  const visible = await db.select().from(networks).where(or(eq(networks.projectId, auth.projectId ?? ""), eq(networks.shared, true), eq(networks.external, true)));
  if (requested === "none") return [];
  if (requested === undefined || requested === "auto") {
    const own = visible.filter((n) => !n.external);
    if (own.length > 1) throw new ApiError(409, "Multiple possible networks found, use a Network ID to be more specific.", "conflictingRequest");
    return own.map((n): Nic => ({ networkId: n.id }));
  }
  return Promise.all(requested.map(async (r): Promise<Nic> => {
    if (r.port) return { portId: (await claimablePort(db, auth, r.port)).id };
    const n = visible.find((x) => x.id === r.uuid);
    if (!n) throw bad(`Network ${r.uuid} could not be found.`);
    return { networkId: n.id, fixedIp: r.fixed_ip };
  }));
}

/**
 * Nova's create: validate once, then for each requested instance claim a host and ports
 * atomically and cast the build to the host. Several instances are named `<name>-<n>`.
 */
export async function createServer(deps: Deps, auth: AuthContext, body: unknown, apiBase: string) {
  const { server: req } = createServerBody.parse(body);
  const { db } = deps;
  const flavor = (await db.select().from(flavors).where(eq(flavors.id, req.flavorRef)))[0];
  if (!flavor) throw bad(`Flavor ${req.flavorRef} could not be found.`);
  const boot = await resolveBootVolume(db, auth, (req as { block_device_mapping_v2?: unknown }).block_device_mapping_v2);
  if (!boot && !req.imageRef) throw bad("Invalid input for field/attribute imageRef: an image or a boot volume is required.");
  if (boot && (req.min_count ?? 1) > 1) throw bad("Booting several servers from one block device mapping is not supported.");
  const image = boot ? null : await findImage(db, auth, req.imageRef!).catch(() => { throw bad(`Image ${req.imageRef} could not be found.`); });
  if (image) assertImageBootable(image, flavor);
  const nics = await resolveNetworks(db, auth, req.networks);
  const securityGroupIds = await resolveSecurityGroups(db, auth.projectId!, req.security_groups);
  if (req.key_name) await findKeypair(db, auth.userId, req.key_name).catch(() => { throw bad(`Invalid key_name provided.`); });
  const wanted = Math.max(req.min_count ?? 1, req.max_count ?? 1);
  if ((req.min_count ?? 1) > (req.max_count ?? wanted)) throw bad("min_count must be <= max_count");
  const guest = { configDrive: parseConfigDrive(req.config_drive), userData: validateUserData(req.user_data) };
  const source = { image, hostCandidates: boot ? (tx: DbOrTx) => bootHostCandidates(tx, boot) : undefined };
  const placement = await preparePlacement(deps, auth, body, flavor, source, { min: req.min_count ?? 1, max: wanted });
  const count = placement.count;
  const ids: string[] = [];
  for (let n = 1; n <= count; n++) {
    ids.push(await createInstance(deps, auth, { ...req, name: count > 1 ? `${req.name}-${n}` : req.name }, { flavor, imageId: image?.id ?? "", nics, securityGroupIds, placement, boot, guest: { ...guest, launchIndex: n - 1 } }, apiBase));
  }
  return { id: ids[0], adminPass: req.adminPass ?? crypto.randomUUID().replace(/-/g, "").slice(0, 12) };
}

type CreateRequest = z.infer<typeof createServerBody>["server"];
type Resolved = {
  flavor: (typeof flavors)["$inferSelect"]; imageId: string; nics: Nic[]; securityGroupIds?: string[]; placement: Placement; boot: BootVolume | null;
  guest: { configDrive: boolean; userData: string | null; launchIndex: number };
};

async function createInstance(deps: Deps, auth: AuthContext, req: CreateRequest, r: Resolved, apiBase: string): Promise<string> {
  const { db } = deps;
  const id = crypto.randomUUID();
  const commandId = crypto.randomUUID();
  // A volume-backed server takes no local disk.
  const resources = { vcpus: r.flavor.vcpus, memoryMb: r.flavor.ramMb, diskGb: r.boot ? 0 : r.flavor.diskGb };
  const row = await db.transaction(async (tx) => {
    const { hostId, availabilityZone } = await r.placement.claim(tx, id);
    const [created] = await tx.insert(servers).values({
      id, name: req.name, projectId: auth.projectId!, userId: auth.userId, flavorId: r.flavor.id, imageId: r.imageId,
      hostId, availabilityZone, ...resources, metadata: req.metadata, keyName: req.key_name ?? null,
      accessIpv4: req.accessIPv4 ?? "", accessIpv6: canonicalIpv6(req.accessIPv6), ...r.guest,
      vmState: hostId ? "building" : "error", taskState: hostId ? "scheduling" : null, commandId: hostId ? commandId : null,
      fault: hostId ? null : { code: 500, message: "No valid host was found. There are not enough hosts available.", created: new Date().toISOString() },
    }).returning();
    if (hostId) await plugNics(tx, { serverId: id, projectId: auth.projectId!, hostId, nics: r.nics, securityGroupIds: r.securityGroupIds });
    if (hostId && r.boot) await claimBootVolume(tx, r.boot, auth, id, hostId);
    return created;
  }, { behavior: "immediate" });

  if (row.hostId) {
    await syncFirewalls(db, deps.bus);
    try {
      await deps.bus.cast(row.hostId, "server.create", await createCommand(db, row, apiBase), commandId);
    } catch (err) {
      await markError(db, id, "Failed to send the build request to the host.", String(err));
    }
  }
  return id;
}

/** The server as the caller may see it, or 404 in Nova's format. */
export async function findServer(db: Db, auth: AuthContext, id: string) {
  const scope = auth.isAdmin ? undefined : eq(servers.projectId, auth.projectId ?? "");
  const row = (await db.select().from(servers).where(and(eq(servers.id, id), isNull(servers.deletedAt), scope)))[0];
  if (!row) throw new ApiError(404, `Instance ${id} could not be found.`, "itemNotFound");
  return row;
}

const conflictFor = (action: string, id: string, vmState: string, taskState: string | null) =>
  new ApiError(409, `Cannot '${action}' instance ${id} while it is in ${taskState ? `task_state ${taskState}` : `vm_state ${vmState}`}`, "conflictingRequest");

const hostCommand: Partial<Record<ServerAction, CommandType>> = { start: "server.start", stop: "server.stop", reboot: "server.reboot" };

/** start/stop/reboot: compare-and-swap the task, then cast it; the host's report clears the task. */
export async function runAction(deps: Deps, auth: AuthContext, id: string, action: "start" | "stop" | "reboot", opts: { hard?: boolean } = {}) {
  const s = await findServer(deps.db, auth, id);
  const rule = actionRule(action);
  if (!canStart(action, s.vmState, s.taskState) || !s.hostId) throw conflictFor(action, id, s.vmState, s.taskState);
  const commandId = crypto.randomUUID();
  const task = action === "reboot" && opts.hard ? "rebooting_hard" : rule.task!;
  const claimed = await claimTask(deps.db, id, { from: rule.from, task, commandId });
  if (!claimed) throw conflictFor(action, id, s.vmState, s.taskState);
  const type = hostCommand[action]!;
  const payload = action === "reboot" ? { serverId: id, hard: !!opts.hard } : { serverId: id };
  await deps.bus.cast(s.hostId, type, payload as never, commandId);
}

/** Delete: servers that never reached a host go at once; others when their host confirms. */
export async function deleteServer(deps: Deps, auth: AuthContext, id: string) {
  const s = await findServer(deps.db, auth, id);
  if (!canStart("delete", s.vmState, s.taskState)) return; // already deleting: Nova answers 204 again
  const commandId = crypto.randomUUID();
  const claimed = await claimTask(deps.db, id, { from: actionRule("delete").from, task: "deleting", anyTask: true, commandId });
  if (!claimed) return;
  if (!s.hostId) return finalizeDelete(deps.db, id);
  await deps.bus.cast(s.hostId, "server.delete", await deleteCommand(deps.db, s), commandId);
}

export async function consoleOutput(deps: Deps, auth: AuthContext, id: string, length: number | null) {
  const s = await findServer(deps.db, auth, id);
  if (!s.hostId) return "";
  try {
    const data = (await deps.bus.call(s.hostId, "server.console", { serverId: id, length }, 10_000)) as { output: string };
    return data.output;
  } catch (err) {
    throw new ApiError(409, `The console of instance ${id} is not available: ${(err as Error).message}`, "conflictingRequest");
  }
}


export const updateServerBody = z.object({
  server: z.object({
    name: z.string().trim().min(1).max(255).optional(),
    accessIPv4: z.union([z.ipv4(), z.literal("")]).optional(),
    accessIPv6: z.union([z.ipv6(), z.literal("")]).optional(),
  }).passthrough(),
});

/** PUT /servers/{id}: name and access addresses. */
export async function updateServer(deps: Deps, auth: AuthContext, id: string, body: unknown) {
  const { server: req } = updateServerBody.parse(body);
  const s = await findServer(deps.db, auth, id);
  const changes = {
    ...(req.name !== undefined ? { name: req.name } : {}),
    ...(req.accessIPv4 !== undefined ? { accessIpv4: req.accessIPv4 } : {}),
    ...(req.accessIPv6 !== undefined ? { accessIpv6: canonicalIpv6(req.accessIPv6) } : {}),
  };
  if (Object.keys(changes).length === 0) return s;
  const [row] = await deps.db.update(servers).set({ ...changes, updatedAt: new Date().toISOString() }).where(eq(servers.id, s.id)).returning();
  return row;
}
