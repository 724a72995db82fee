import { describe, expect, it } from "vitest";
import { nextDevice } from "../../edge/src/volume/attach.js";
import { ListError, selectPage } from "../../edge/src/volume/list.js";
import { planAttachmentSync } from "../../edge/src/volume/host-sync.js";
import { EXTEND_IN_USE_VERSION, MAX_VOLUME_VERSION, negotiateVolumeVersion, VersionNotSupported, volumeVersionAtLeast } from "../../edge/src/volume/microversion.js";
import { defaultPoolOptions, pickPool, type PoolCapacity } from "../../edge/src/volume/placement.js";
import { checkQuota, DEFAULT_QUOTAS, effectiveLimits, validateNewLimit } from "../../edge/src/volume/quota.js";
import { canStartVolumeOp, invalidStatusMessage, settledStatus, volumeRule } from "../../edge/src/volume/state.js";

describe("volume status machine", () => {
  it("starts operations only from their statuses", () => {
    expect(canStartVolumeOp("attach", "available")).toBe(true);
    expect(canStartVolumeOp("attach", "in-use")).toBe(false);
    expect(canStartVolumeOp("delete", "in-use")).toBe(false);
    expect(canStartVolumeOp("delete", "error")).toBe(true);
    expect(canStartVolumeOp("extend", "in-use")).toBe(false);
    expect(canStartVolumeOp("snapshot", "in-use")).toBe(false);
    expect(canStartVolumeOp("snapshot-force", "in-use")).toBe(true);
    expect(volumeRule("detach")).toEqual({ from: ["in-use"], to: "detaching" });
  });

  it("settles a failed extend or delete in its own error status", () => {
    expect(settledStatus("creating", "ok")).toBe("available");
    expect(settledStatus("creating", "error")).toBe("error");
    expect(settledStatus("extending", "error")).toBe("error_extending");
    expect(settledStatus("deleting", "error")).toBe("error_deleting");
  });

  it("words refusals as Cinder does", () => {
    expect(invalidStatusMessage("extend", "in-use")).toBe("Invalid volume: Volume status must be available to extend, but current status is: in-use.");
  });
});

describe("volume quotas", () => {
  const limits = effectiveLimits([{ resource: "volumes", hardLimit: 2 }, { resource: "bogus", hardLimit: 1 }]);

  it("applies overrides on the defaults", () => {
    expect(limits).toEqual({ ...DEFAULT_QUOTAS, volumes: 2 });
  });

  it("refuses the unit past the limit, and gigabytes across volumes and snapshots", () => {
    expect(checkQuota(limits, { volumes: 1, snapshots: 0, gigabytes: 10 }, { volumes: 1, gigabytes: 1 })).toBeNull();
    expect(checkQuota(limits, { volumes: 2, snapshots: 0, gigabytes: 10 }, { volumes: 1, gigabytes: 1 })?.resource).toBe("volumes");
    const gb = checkQuota(limits, { volumes: 0, snapshots: 0, gigabytes: 999 }, { volumes: 1, gigabytes: 2 });
    expect(gb?.message).toBe("VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested 2G, quota is 1000G and 999G has been consumed.");
    expect(checkQuota({ ...limits, gigabytes: -1, volumes: -1 }, { volumes: 99, snapshots: 0, gigabytes: 1e6 }, { volumes: 1, gigabytes: 5 })).toBeNull();
    expect(checkQuota({ ...limits, per_volume_gigabytes: 5 }, { volumes: 0, snapshots: 0, gigabytes: 0 }, { size: 6, gigabytes: 6 })?.resource).toBe("per_volume_gigabytes");
  });

  it("refuses a limit below usage or below -1", () => {
    expect(validateNewLimit("volumes", 1, 2)).toMatch(/already used/);
    expect(validateNewLimit("volumes", -2, 0)).toMatch(/>= -1/);
    expect(validateNewLimit("volumes", -1, 100)).toBeNull();
  });
});

describe("volume placement", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  const pool = (p: Partial<PoolCapacity>): PoolCapacity => ({
    hostId: "h", backend: "dir", totalGb: 10, freeGb: 5, allocatedGb: 0, online: true, enabled: true, lastSeenAt: new Date(now).toISOString(), ...p,
  });
  const o = defaultPoolOptions(now);

  it("picks the up pool with most free space and the right backend", () => {
    const pools = [pool({ hostId: "a", freeGb: 3 }), pool({ hostId: "b", freeGb: 8 }), pool({ hostId: "c", freeGb: 9, online: false }), pool({ hostId: "d", freeGb: 9, backend: "fast" })];
    expect(pickPool(pools, { sizeGb: 1 }, o)?.hostId).toBe("d");
    expect(pickPool(pools, { sizeGb: 1, backend: "dir" }, o)?.hostId).toBe("b");
    expect(pickPool(pools, { sizeGb: 1, hostId: "a" }, o)?.hostId).toBe("a");
    expect(pickPool(pools, { sizeGb: 1, backend: "none" }, o)).toBeNull();
  });

  it("bounds thin provisioning by the over-subscription ratio and skips stale or full pools", () => {
    expect(pickPool([pool({ allocatedGb: 195 })], { sizeGb: 5 }, o)).not.toBeNull();
    expect(pickPool([pool({ allocatedGb: 196 })], { sizeGb: 5 }, o)).toBeNull();
    expect(pickPool([pool({ freeGb: 0 })], { sizeGb: 1 }, o)).toBeNull();
    expect(pickPool([pool({ lastSeenAt: new Date(now - 60_000).toISOString() })], { sizeGb: 1 }, o)).toBeNull();
  });
});

describe("volume microversions", () => {
  it("defaults to 3.0, takes latest as the max, refuses outside the range", () => {
    expect(negotiateVolumeVersion(undefined)).toBe("3.0");
    expect(negotiateVolumeVersion("compute 2.60")).toBe("3.0");
    expect(negotiateVolumeVersion("volume latest")).toBe(MAX_VOLUME_VERSION);
    expect(() => negotiateVolumeVersion("volume 3.70")).toThrow(VersionNotSupported);
    expect(() => negotiateVolumeVersion("volume 2.0")).toThrow(VersionNotSupported);
    expect(() => negotiateVolumeVersion("volume x")).toThrow(VersionNotSupported);
  });

  it("accepts explicit requests up to 3.42 (extend in-use) while advertising 3.0", () => {
    expect(negotiateVolumeVersion("volume 3.42")).toBe("3.42");
    expect(volumeVersionAtLeast(negotiateVolumeVersion("volume 3.42"), EXTEND_IN_USE_VERSION)).toBe(true);
    expect(volumeVersionAtLeast(negotiateVolumeVersion("volume 3.41"), EXTEND_IN_USE_VERSION)).toBe(false);
    expect(volumeVersionAtLeast(negotiateVolumeVersion("volume latest"), EXTEND_IN_USE_VERSION)).toBe(false);
    expect(() => negotiateVolumeVersion("volume 3.43")).toThrow(VersionNotSupported);
    expect(canStartVolumeOp("extend-attached", "in-use")).toBe(true);
    expect(canStartVolumeOp("extend-attached", "attaching")).toBe(false);
  });
});

describe("volume listing", () => {
  const items = [
    { id: "1", created_at: "2026-01-01", name: "a", size: 3, status: "available", bootable: "true", metadata: { k: "v" } },
    { id: "2", created_at: "2026-01-02", name: "b", size: 1, status: "error", bootable: "false", metadata: {} },
    { id: "3", created_at: "2026-01-03", name: "c", size: 2, status: "available", bootable: "false", metadata: { k: "w" } },
  ];
  const ids = (q: Record<string, string>) => selectPage(items, q, ["name", "status", "metadata", "bootable"]).page.map((i) => i.id);

  it("sorts newest first by default, by any key and direction on request", () => {
    expect(ids({})).toEqual(["3", "2", "1"]);
    expect(ids({ sort: "size:asc" })).toEqual(["2", "3", "1"]);
    expect(ids({ sort_key: "name", sort_dir: "asc" })).toEqual(["1", "2", "3"]);
  });

  it("filters by status, bootable and contained metadata", () => {
    expect(ids({ status: "available" })).toEqual(["3", "1"]);
    expect(ids({ bootable: "True" })).toEqual(["1"]);
    expect(ids({ metadata: '{"k": "v"}' })).toEqual(["1"]);
  });

  it("pages with marker and limit and says when there is more", () => {
    expect(selectPage(items, { limit: "2" }, [])).toMatchObject({ more: true });
    expect(ids({ marker: "3", limit: "1" })).toEqual(["2"]);
    expect(() => ids({ marker: "nope" })).toThrow(ListError);
    expect(() => ids({ limit: "-1" })).toThrow(ListError);
    expect(() => ids({ sort: "secret:asc" })).toThrow(ListError);
  });
});

describe("attachment devices", () => {
  it("hands out vdb, vdc… skipping used ones", () => {
    expect(nextDevice([])).toBe("vdb");
    expect(nextDevice(["vdb", "vdd"])).toBe("vdc");
    expect(nextDevice("bcdefghijklmnopqrstuvwxyz".split("").map((l) => `vd${l}`))).toBeNull();
  });
});

describe("attachments against the disks a host reports", () => {
  const vol = (id: string, status: string, serverId?: string, device = "vdb") => ({ id, status, attachment: serverId ? { id: `a-${id}`, serverId, device } : null });

  it("drops records of missing disks and unplugs unrecorded ones, for the servers read only", () => {
    const known = [vol("gone", "in-use", "s1"), vol("kept", "in-use", "s1", "vdc"), vol("stray", "available"), vol("unread", "in-use", "s9"), vol("moved", "in-use", "s2")];
    const disks = [
      { serverId: "s1", volumeId: "kept", device: "vdc" },
      { serverId: "s1", volumeId: "stray", device: "vdd" },
      { serverId: "s1", volumeId: "moved", device: "vde" },
      { serverId: "s2", volumeId: "moved", device: "vdb" },
    ];
    expect(planAttachmentSync(known, { servers: ["s1", "s2"], disks })).toEqual([
      { kind: "drop", volumeId: "gone", attachmentId: "a-gone", serverId: "s1" },
      { kind: "unplug", volumeId: "stray", serverId: "s1", device: "vdd" },
      { kind: "unplug", volumeId: "moved", serverId: "s1", device: "vde" },
    ]);
  });

  it("leaves volumes with an operation in flight, root disks and unknown volumes alone", () => {
    const known = [vol("att", "attaching", "s1"), vol("det", "detaching", "s1"), vol("root", "in-use", "s1", "vda"), vol("ext", "extending")];
    const disks = [{ serverId: "s1", volumeId: "ext", device: "vdc" }, { serverId: "s1", volumeId: "ghost", device: "vdd" }, { serverId: "s2", volumeId: "root", device: "vda" }];
    expect(planAttachmentSync(known, { servers: ["s1", "s2"], disks })).toEqual([]);
  });
});
