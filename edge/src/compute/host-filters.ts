/**
 * Nova's scheduler filters and weighers beyond capacity, pure: availability zone, server group
 * (anti-)affinity, image properties, aggregate extra specs; spread or pack; soft group weighers.
 */
import { fits, isHostUp, type HostCapacity, type ResourceRequest, type SchedulerOptions } from "./scheduler.js";

export interface HostFacts extends HostCapacity {
  /** The zone of the host's aggregates, or the default zone. */
  availabilityZone: string;
  /** Every value each metadata key has across the host's aggregates. */
  aggregateMetadata: Record<string, string[]>;
  hypervisorType: string;
  arch: string;
  forcedDown: boolean;
}

export type GroupPolicy = "affinity" | "anti-affinity" | "soft-affinity" | "soft-anti-affinity";

export interface PlacementRequest {
  resources: ResourceRequest;
  availabilityZone?: string;
  /** An admin's `zone:host` forces the host (filters for capacity and zone still apply). */
  forcedHost?: string;
  group?: { policy: GroupPolicy; memberHosts: string[] };
  flavorExtraSpecs?: Record<string, string>;
  imageProperties?: Record<string, unknown>;
}

export interface PlacementOptions extends SchedulerOptions {
  /** spread: most free RAM first (Nova's default); pack: least free RAM first. */
  weigher: "spread" | "pack";
}

export const DEFAULT_ZONE = "nova";

const ARCH_ALIASES: Record<string, string> = { amd64: "x86_64", x64: "x86_64", i386: "i686", x86: "i686", arm64: "aarch64" };
const canonicalArch = (a: string) => ARCH_ALIASES[a.toLowerCase()] ?? a.toLowerCase();

/** ImagePropertiesFilter: the image's architecture and hypervisor type must match the host. */
export function imagePropertiesPass(h: Pick<HostFacts, "arch" | "hypervisorType">, props: Record<string, unknown> = {}): boolean {
  const arch = props.architecture ?? props.hw_architecture;
  if (typeof arch === "string" && arch && canonicalArch(arch) !== canonicalArch(h.arch)) return false;
  const hv = props.hypervisor_type ?? props.img_hv_type;
  if (typeof hv === "string" && hv && hv.toLowerCase() !== h.hypervisorType.toLowerCase()) return false;
  return true;
}

/**
 * AggregateInstanceExtraSpecsFilter: every unscoped or `aggregate_instance_extra_specs:` flavor
 * extra spec must equal a value of that key in one of the host's aggregates (`<or>` lists options).
 */
export function aggregateSpecsPass(h: Pick<HostFacts, "aggregateMetadata">, specs: Record<string, string> = {}): boolean {
  const scope = "aggregate_instance_extra_specs:";
  for (const [rawKey, want] of Object.entries(specs)) {
    if (rawKey.includes(":") && !rawKey.startsWith(scope)) continue;
    const key = rawKey.startsWith(scope) ? rawKey.slice(scope.length) : rawKey;
    const have = h.aggregateMetadata[key];
    if (!have) return false;
    const options = want.startsWith("<or>") ? want.split("<or>").map((s) => s.trim()).filter(Boolean) : [want.trim()];
    if (!have.some((v) => options.includes(v.trim()))) return false;
  }
  return true;
}

/** ServerGroup(Anti)AffinityFilter: hard policies only; soft ones weigh. */
export function groupPass(hostId: string, group: PlacementRequest["group"]): boolean {
  if (!group) return true;
  if (group.policy === "affinity") return group.memberHosts.length === 0 || group.memberHosts.includes(hostId);
  if (group.policy === "anti-affinity") return !group.memberHosts.includes(hostId);
  return true;
}

export function filterHosts(hosts: HostFacts[], req: PlacementRequest, o: PlacementOptions): HostFacts[] {
  return hosts.filter((h) =>
    h.enabled && !h.forcedDown && isHostUp(h, o) && fits(h, req.resources, o) &&
    (!req.forcedHost || h.id === req.forcedHost) &&
    (!req.availabilityZone || h.availabilityZone === req.availabilityZone) &&
    groupPass(h.id, req.group) && imagePropertiesPass(h, req.imageProperties) && aggregateSpecsPass(h, req.flavorExtraSpecs));
}

/** Filters, then weighs: soft group policy first, then free RAM (spread or pack), then id. */
export function selectHost(hosts: HostFacts[], req: PlacementRequest, o: PlacementOptions): HostFacts | null {
  const candidates = filterHosts(hosts, req, o);
  const members = (h: HostFacts) => req.group?.memberHosts.filter((x) => x === h.id).length ?? 0;
  const soft = req.group?.policy === "soft-affinity" ? -1 : req.group?.policy === "soft-anti-affinity" ? 1 : 0;
  const freeRam = (h: HostFacts) => h.memoryMb * o.ramAllocationRatio - h.usedMemoryMb;
  const ramSign = o.weigher === "pack" ? 1 : -1;
  candidates.sort((a, b) => soft * (members(a) - members(b)) || ramSign * (freeRam(a) - freeRam(b)) || a.id.localeCompare(b.id));
  return candidates[0] ?? null;
}
