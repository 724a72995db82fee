import { describe, expect, it } from "vitest";
import { defaultSchedulerOptions, pickHost, type HostCapacity } from "../../edge/src/compute/scheduler.js";

const now = Date.parse("2026-01-01T00:00:30Z");
const host = (id: string, over: Partial<HostCapacity> = {}): HostCapacity => ({
  id, vcpus: 2, memoryMb: 4096, diskGb: 100, usedVcpus: 0, usedMemoryMb: 0, usedDiskGb: 0,
  online: true, enabled: true, lastSeenAt: "2026-01-01T00:00:25Z", ...over,
});
const req = { vcpus: 1, memoryMb: 1024, diskGb: 10 };

describe("scheduler", () => {
  it("spreads onto the host with the most free RAM", () => {
    const chosen = pickHost([host("a", { usedMemoryMb: 2048 }), host("b")], req, defaultSchedulerOptions(now));
    expect(chosen?.id).toBe("b");
  });

  it("skips hosts that are offline, silent, disabled or full", () => {
    const hosts = [
      host("offline", { online: false }),
      host("silent", { lastSeenAt: "2025-12-31T23:00:00Z" }),
      host("disabled", { enabled: false }),
      host("full-ram", { usedMemoryMb: 3500 }),
      host("full-disk", { usedDiskGb: 95 }),
    ];
    expect(pickHost(hosts, req, defaultSchedulerOptions(now))).toBeNull();
  });

  it("overcommits vCPUs only up to the allocation ratio", () => {
    const opts = { ...defaultSchedulerOptions(now), cpuAllocationRatio: 2 };
    expect(pickHost([host("a", { usedVcpus: 3 })], req, opts)?.id).toBe("a");
    expect(pickHost([host("a", { usedVcpus: 4 })], req, opts)).toBeNull();
  });
});
