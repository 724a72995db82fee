import { describe, expect, it } from "vitest";
import { aggregateSpecsPass, filterHosts, imagePropertiesPass, selectHost, type HostFacts, type PlacementOptions } from "../../edge/src/compute/host-filters.js";
import { defaultSchedulerOptions } from "../../edge/src/compute/scheduler.js";

const now = Date.parse("2026-01-01T00:00:30Z");
const opts = (over: Partial<PlacementOptions> = {}): PlacementOptions => ({ ...defaultSchedulerOptions(now), weigher: "spread", ...over });
const host = (id: string, over: Partial<HostFacts> = {}): HostFacts => ({
  id, vcpus: 4, memoryMb: 4096, diskGb: 100, usedVcpus: 0, usedMemoryMb: 0, usedDiskGb: 0, online: true, enabled: true,
  lastSeenAt: "2026-01-01T00:00:25Z", availabilityZone: "nova", aggregateMetadata: {}, hypervisorType: "QEMU", arch: "x86_64", forcedDown: false, ...over,
});
const resources = { vcpus: 1, memoryMb: 512, diskGb: 1 };
const ids = (hs: HostFacts[]) => hs.map((h) => h.id);

describe("placement filters and weighers", () => {
  it("filters by availability zone and forced host", () => {
    const hs = [host("a", { availabilityZone: "az1" }), host("b", { availabilityZone: "az2" }), host("c", { availabilityZone: "az2" })];
    expect(ids(filterHosts(hs, { resources, availabilityZone: "az2" }, opts()))).toEqual(["b", "c"]);
    expect(ids(filterHosts(hs, { resources, availabilityZone: "az2", forcedHost: "c" }, opts()))).toEqual(["c"]);
  });

  it("keeps forced-down hosts out even when they still report", () => {
    expect(filterHosts([host("a", { forcedDown: true })], { resources }, opts())).toEqual([]);
  });

  it("places hard affinity with the members and anti-affinity away from them", () => {
    const hs = [host("a"), host("b"), host("c")];
    expect(ids(filterHosts(hs, { resources, group: { policy: "affinity", memberHosts: ["b"] } }, opts()))).toEqual(["b"]);
    expect(ids(filterHosts(hs, { resources, group: { policy: "affinity", memberHosts: [] } }, opts()))).toEqual(["a", "b", "c"]);
    expect(ids(filterHosts(hs, { resources, group: { policy: "anti-affinity", memberHosts: ["a", "c"] } }, opts()))).toEqual(["b"]);
  });

  it("weighs soft policies before free RAM", () => {
    const hs = [host("a"), host("b", { usedMemoryMb: 2048 })];
    expect(selectHost(hs, { resources }, opts())?.id).toBe("a");
    expect(selectHost(hs, { resources, group: { policy: "soft-affinity", memberHosts: ["b"] } }, opts())?.id).toBe("b");
    expect(selectHost(hs, { resources, group: { policy: "soft-anti-affinity", memberHosts: ["a"] } }, opts())?.id).toBe("b");
  });

  it("spreads by default and packs when configured", () => {
    const hs = [host("a", { usedMemoryMb: 1024 }), host("b")];
    expect(selectHost(hs, { resources }, opts())?.id).toBe("b");
    expect(selectHost(hs, { resources }, opts({ weigher: "pack" }))?.id).toBe("a");
  });

  it("matches image architecture and hypervisor type", () => {
    expect(imagePropertiesPass({ arch: "x86_64", hypervisorType: "QEMU" }, { architecture: "amd64", hypervisor_type: "qemu" })).toBe(true);
    expect(imagePropertiesPass({ arch: "x86_64", hypervisorType: "QEMU" }, { architecture: "aarch64" })).toBe(false);
    expect(imagePropertiesPass({ arch: "x86_64", hypervisorType: "QEMU" }, { img_hv_type: "xen" })).toBe(false);
    expect(imagePropertiesPass({ arch: "x86_64", hypervisorType: "QEMU" }, {})).toBe(true);
  });

  it("matches flavor extra specs against aggregate metadata, ignoring other scopes", () => {
    const h = { aggregateMetadata: { ssd: ["true"], tier: ["gold", "silver"] } };
    expect(aggregateSpecsPass(h, { ssd: "true", "hw:cpu_policy": "dedicated" })).toBe(true);
    expect(aggregateSpecsPass(h, { "aggregate_instance_extra_specs:tier": "silver" })).toBe(true);
    expect(aggregateSpecsPass(h, { tier: "<or> bronze <or> gold" })).toBe(true);
    expect(aggregateSpecsPass(h, { ssd: "false" })).toBe(false);
    expect(aggregateSpecsPass(h, { gpu: "1" })).toBe(false);
  });
});

describe("scheduler settings from the environment", () => {
  it("reads ratios and weigher, and rejects nonsense", async () => {
    const { schedulerFromEnv } = await import("../../edge/src/node/scheduler-env.js");
    const { placementOptions } = await import("../../edge/src/compute/host-facts.js");
    const s = schedulerFromEnv({ NIMBUS_CPU_ALLOCATION_RATIO: "16", NIMBUS_SCHEDULER_WEIGHER: "pack" });
    expect(s).toEqual({ cpuAllocationRatio: 16, weigher: "pack" });
    expect(placementOptions({ region: "r", tokenTtlSeconds: 1, scheduler: s })).toMatchObject({ cpuAllocationRatio: 16, ramAllocationRatio: 1, weigher: "pack" });
    expect(() => schedulerFromEnv({ NIMBUS_RAM_ALLOCATION_RATIO: "-1" })).toThrow(/positive/);
    expect(() => schedulerFromEnv({ NIMBUS_SCHEDULER_WEIGHER: "random" })).toThrow(/spread or pack/);
  });
});
