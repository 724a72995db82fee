/** Pure placement: filters hosts that can take a request, then weighs them (spread by free RAM). */
export interface HostCapacity {
  id: string;
  vcpus: number;
  memoryMb: number;
  diskGb: number;
  usedVcpus: number;
  usedMemoryMb: number;
  usedDiskGb: number;
  online: boolean;
  enabled: boolean;
  lastSeenAt: string | null;
}

export interface ResourceRequest {
  vcpus: number;
  memoryMb: number;
  diskGb: number;
}

export interface SchedulerOptions {
  cpuAllocationRatio: number;
  ramAllocationRatio: number;
  diskAllocationRatio: number;
  /** A host silent for longer than this is treated as down. */
  hostTimeoutMs: number;
  now: number;
}

export const defaultSchedulerOptions = (now = Date.now()): SchedulerOptions => ({
  cpuAllocationRatio: 4,
  ramAllocationRatio: 1,
  diskAllocationRatio: 1,
  hostTimeoutMs: 30_000,
  now,
});

export function isHostUp(h: Pick<HostCapacity, "online" | "lastSeenAt">, opts: Pick<SchedulerOptions, "hostTimeoutMs" | "now">): boolean {
  if (!h.online || !h.lastSeenAt) return false;
  return opts.now - Date.parse(h.lastSeenAt) <= opts.hostTimeoutMs;
}

export function fits(h: HostCapacity, req: ResourceRequest, o: SchedulerOptions): boolean {
  return (
    h.usedVcpus + req.vcpus <= h.vcpus * o.cpuAllocationRatio &&
    h.usedMemoryMb + req.memoryMb <= h.memoryMb * o.ramAllocationRatio &&
    h.usedDiskGb + req.diskGb <= h.diskGb * o.diskAllocationRatio
  );
}

/** Returns the best host for the request, or null when no host is up with room. */
export function pickHost(hosts: HostCapacity[], req: ResourceRequest, o: SchedulerOptions): HostCapacity | null {
  const candidates = hosts.filter((h) => h.enabled && isHostUp(h, o) && fits(h, req, o));
  const freeRam = (h: HostCapacity) => h.memoryMb * o.ramAllocationRatio - h.usedMemoryMb;
  candidates.sort((a, b) => freeRam(b) - freeRam(a) || a.id.localeCompare(b.id));
  return candidates[0] ?? null;
}
