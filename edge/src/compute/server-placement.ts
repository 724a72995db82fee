import { and, eq, isNull } from "drizzle-orm";
import type { DbOrTx } from "../db/client.js";
import { flavors, images, serverGroupMembers, serverGroups, servers } from "../db/schema.js";
import type { AuthContext, Deps } from "../lib/context.js";
import { ApiError } from "../lib/errors.js";
import { accessibleFlavorIds, extraSpecsOf } from "./flavor-manage.js";
import { DEFAULT_ZONE, selectHost, type GroupPolicy, type PlacementRequest } from "./host-filters.js";
import { aggregatesByHost, hostFacts, placementOptions, zoneOf } from "./host-facts.js";
import { instancesThatFit, overLimit, quotaMessage } from "./quota-rules.js";
import { enforceQuota, projectLimits, projectUsage } from "./quotas.js";

type FlavorRow = (typeof flavors)["$inferSelect"];
type ImageRow = (typeof images)["$inferSelect"];
const bad = (m: string) => new ApiError(400, m, "badRequest");
const quotaError = (m: string) => new ApiError(403, m, "forbidden");

/** What the server boots from: its image (local disk), or a volume that limits where it may run. */
export interface BootSource {
  image: ImageRow | null;
  hostCandidates?: (tx: DbOrTx) => Promise<string[]>;
}

/** What a create asks of placement, checked before any instance is made. */
export interface Placement {
  /** How many instances to create (max_count reduced to what the quota allows). */
  count: number;
  /** Inside the create's write transaction: quota, filters and weighers, group membership. */
  claim(tx: DbOrTx, serverId: string): Promise<{ hostId: string | null; availabilityZone: string | null }>;
}

/** Known zones: the default one and every zone an aggregate names. */
export async function knownZones(db: DbOrTx): Promise<Set<string>> {
  const zones = new Set([DEFAULT_ZONE]);
  for (const aggs of (await aggregatesByHost(db)).values()) zones.add(zoneOf(aggs));
  return zones;
}

async function parseZone(db: DbOrTx, auth: AuthContext, raw: unknown) {
  if (raw === undefined || raw === null || raw === "") return {};
  if (typeof raw !== "string") throw bad("Invalid input for field/attribute availability_zone.");
  const [zone, host] = raw.split(":");
  if (host && !auth.isAdmin) throw new ApiError(403, "Policy doesn't allow os_compute_api:servers:create:forced_host to be performed.", "forbidden");
  if (zone && !(await knownZones(db)).has(zone)) throw bad(`The requested availability zone is not available`);
  return { availabilityZone: zone || undefined, forcedHost: host || undefined };
}

async function findGroup(db: DbOrTx, auth: AuthContext, hints: unknown) {
  const id = (hints as { group?: unknown } | undefined)?.group;
  if (id === undefined) return undefined;
  if (typeof id !== "string") throw bad("Invalid input for field/attribute group.");
  const row = (await db.select().from(serverGroups).where(eq(serverGroups.id, id)))[0];
  if (!row || (!auth.isAdmin && row.projectId !== auth.projectId)) throw bad(`Unable to find server group ${id}`);
  return row;
}

/** The group's members that are not deleted, with their hosts. */
async function liveMembers(tx: DbOrTx, groupId: string) {
  return tx.select({ id: servers.id, hostId: servers.hostId }).from(serverGroupMembers)
    .innerJoin(servers, eq(servers.id, serverGroupMembers.serverId))
    .where(and(eq(serverGroupMembers.groupId, groupId), isNull(servers.deletedAt)));
}

/**
 * Validates what a create asks of placement (flavor access, zone, group hint, quotas for the
 * count and metadata) and returns the claim each instance runs in its transaction.
 */
export async function preparePlacement(deps: Deps, auth: AuthContext, raw: unknown, flavor: FlavorRow, boot: BootSource, wanted: { min: number; max: number }): Promise<Placement> {
  const { db } = deps;
  const body = raw as { server: Record<string, unknown>; "os:scheduler_hints"?: unknown };
  if (!flavor.isPublic && !auth.isAdmin && !(await accessibleFlavorIds(db, auth.projectId)).has(flavor.id)) throw bad(`Flavor ${flavor.id} could not be found.`);
  const zone = await parseZone(db, auth, body.server.availability_zone);
  const group = await findGroup(db, auth, body["os:scheduler_hints"] ?? (body as Record<string, unknown>).scheduler_hints);
  const projectId = auth.projectId!;
  const [limits, used] = await Promise.all([projectLimits(db, projectId), projectUsage(db, projectId)]);
  const metadataCount = Object.keys((body.server.metadata as object | undefined) ?? {}).length;
  const metaOver = overLimit(limits, {}, { metadata_items: metadataCount });
  if (metaOver.length) throw quotaError(`Quota exceeded for metadata_items: ${metaOver[0].requested} of ${metaOver[0].limit} allowed`);
  const per = { cores: flavor.vcpus, ram: flavor.ramMb };
  const fit = instancesThatFit(limits, used, per);
  if (fit < wanted.min) throw quotaError(quotaMessage(overLimit(limits, used, { instances: wanted.min, cores: per.cores * wanted.min, ram: per.ram * wanted.min })));
  const request: Omit<PlacementRequest, "group"> = {
    resources: { vcpus: flavor.vcpus, memoryMb: flavor.ramMb, diskGb: boot.image ? flavor.diskGb : 0 }, ...zone,
    flavorExtraSpecs: await extraSpecsOf(db, flavor.id), imageProperties: boot.image?.properties ?? {},
  };
  return {
    count: Math.min(wanted.max, fit),
    async claim(tx, serverId) {
      await enforceQuota(tx, projectId, { instances: 1, cores: per.cores, ram: per.ram });
      let groupSpec: PlacementRequest["group"];
      if (group) {
        const live = await liveMembers(tx, group.id);
        const limit = (await projectLimits(tx, group.projectId)).server_group_members;
        if (limit >= 0 && live.length + 1 > limit) throw quotaError("Quota exceeded, too many servers in group");
        groupSpec = { policy: group.policy as GroupPolicy, memberHosts: live.flatMap((m) => (m.hostId ? [m.hostId] : [])) };
        await tx.insert(serverGroupMembers).values({ groupId: group.id, serverId });
      }
      const allowed = boot.hostCandidates && new Set(await boot.hostCandidates(tx));
      const facts = (await hostFacts(tx)).filter((h) => !allowed || allowed.has(h.id));
      const host = selectHost(facts, { ...request, group: groupSpec }, placementOptions(deps.config));
      return { hostId: host?.id ?? null, availabilityZone: zone.availabilityZone ?? host?.availabilityZone ?? null };
    },
  };
}
