import { describe, expect, it } from "vitest";
import { MicroversionError, negotiate } from "../../edge/src/compute/microversion.js";
import { resizeProblem } from "../../edge/src/compute/actions/resize.js";
import { vmStateFor } from "../../edge/src/compute/reconcile.js";
import { defaultExtras } from "../../edge/src/compute/server-extras.js";
import { apiStatus, canStart } from "../../edge/src/compute/state.js";
import { versionedFields } from "../../edge/src/compute/views.js";
import { powerStates } from "../../shared/src/index.js";

const statusOf = (fn: () => unknown) => {
  try {
    fn();
    return null;
  } catch (err) {
    return err instanceof MicroversionError ? err.status : "other";
  }
};

describe("microversion negotiation", () => {
  it("reads the standard header first, then the legacy one, else the minimum", () => {
    expect(negotiate(undefined, undefined)).toBe(1);
    expect(negotiate("compute 2.19", "2.3")).toBe(19);
    expect(negotiate("volume 3.5, compute 2.9", undefined)).toBe(9);
    expect(negotiate("volume 3.5", "2.3")).toBe(3);
    expect(negotiate("compute latest", undefined)).toBe(26);
  });

  it("refuses malformed versions with 400 and unsupported ones with 406", () => {
    expect(statusOf(() => negotiate("compute 2.x", undefined))).toBe(400);
    expect(statusOf(() => negotiate(undefined, "2.27"))).toBe(406);
    expect(statusOf(() => negotiate(undefined, "3.1"))).toBe(406);
    expect(statusOf(() => negotiate(undefined, "2.0"))).toBe(406);
  });
});

describe("versioned server fields", () => {
  const row = { id: "0123456789", name: "Web Server_1", hostId: "h1" } as Parameters<typeof versionedFields>[0];
  const extras = { ...defaultExtras("0123456789"), locked: true, description: "d", tags: ["t"] };

  it("adds nothing at 2.1 and every field up to 2.26", () => {
    expect(versionedFields(row, true, { mv: 1, extras })).toEqual({});
    expect(Object.keys(versionedFields(row, false, { mv: 26, extras })).sort()).toEqual(["description", "locked", "tags"]);
    const admin = versionedFields(row, true, { mv: 26, extras, hostStatus: "UP" });
    expect(admin).toMatchObject({ host_status: "UP", "OS-EXT-SRV-ATTR:hostname": "web-server-1", locked: true, tags: ["t"] });
  });

  it("follows each version boundary", () => {
    expect(versionedFields(row, false, { mv: 8, extras })).toEqual({});
    expect(versionedFields(row, false, { mv: 9, extras })).toEqual({ locked: true });
    expect(versionedFields(row, true, { mv: 15, extras })).not.toHaveProperty("host_status");
    expect(versionedFields(row, false, { mv: 25, extras })).not.toHaveProperty("tags");
  });
});

describe("lifecycle states", () => {
  it("maps the new vm and task states to Nova's statuses", () => {
    expect(apiStatus("paused", null)).toBe("PAUSED");
    expect(apiStatus("suspended", null)).toBe("SUSPENDED");
    expect(apiStatus("active", "rebuilding")).toBe("REBUILD");
    expect(apiStatus("stopped", "resize_prep")).toBe("RESIZE");
    expect(apiStatus("resized", null)).toBe("VERIFY_RESIZE");
    expect(apiStatus("resized", "resize_reverting")).toBe("REVERT_RESIZE");
  });

  it("guards actions by state", () => {
    expect(canStart("pause", "active", null)).toBe(true);
    expect(canStart("pause", "paused", null)).toBe(false);
    expect(canStart("resume", "suspended", null)).toBe(true);
    expect(canStart("confirmResize", "active", null)).toBe(false);
    expect(canStart("delete", "resized", null)).toBe(true);
  });

  it("refuses a resize to the same flavor or a smaller disk", () => {
    const flavor = (id: string, diskGb: number) => ({ id, diskGb }) as Parameters<typeof resizeProblem>[1];
    expect(resizeProblem({ flavorId: "1", diskGb: 1 }, flavor("1", 1))).toMatch(/must change flavor/);
    expect(resizeProblem({ flavorId: "2", diskGb: 20 }, flavor("1", 1))).toMatch(/resize disk down/);
    expect(resizeProblem({ flavorId: "1", diskGb: 1 }, flavor("2", 20))).toBeNull();
  });

  it("keeps suspended and resized servers' state when a host re-inventories", () => {
    expect(vmStateFor("active", powerStates.PAUSED)).toBe("paused");
    expect(vmStateFor("suspended", powerStates.SHUTDOWN)).toBe("suspended");
    expect(vmStateFor("resized", powerStates.RUNNING)).toBe("resized");
    expect(vmStateFor("paused", powerStates.RUNNING)).toBe("active");
    expect(vmStateFor("active", powerStates.SHUTDOWN)).toBe("stopped");
  });
});
