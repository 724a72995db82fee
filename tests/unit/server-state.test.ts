import { describe, expect, it } from "vitest";
import { apiStatus, canStart } from "../../edge/src/compute/state.js";
import { reconcile } from "../../edge/src/compute/reconcile.js";

describe("server state machine", () => {
  it("maps vm_state and task_state to the API status", () => {
    expect(apiStatus("building", "spawning")).toBe("BUILD");
    expect(apiStatus("active", null)).toBe("ACTIVE");
    expect(apiStatus("active", "rebooting")).toBe("REBOOT");
    expect(apiStatus("stopped", null)).toBe("SHUTOFF");
    expect(apiStatus("error", null)).toBe("ERROR");
  });

  it("allows actions only from the right states", () => {
    expect(canStart("stop", "active", null)).toBe(true);
    expect(canStart("stop", "active", "rebooting")).toBe(false);
    expect(canStart("start", "active", null)).toBe(false);
    expect(canStart("start", "stopped", null)).toBe(true);
    expect(canStart("delete", "building", "spawning")).toBe(true);
    expect(canStart("delete", "active", "deleting")).toBe(false);
  });
});

describe("reconcile", () => {
  it("lets the host's reality win and resumes unfinished work", () => {
    const actions = reconcile(
      [
        { id: "running-but-stopped-in-db", vmState: "stopped", taskState: null },
        { id: "building", vmState: "building", taskState: "spawning" },
        { id: "deleting-gone", vmState: "active", taskState: "deleting" },
        { id: "deleting-still-there", vmState: "active", taskState: "deleting" },
        { id: "vanished", vmState: "active", taskState: null },
      ],
      [
        { serverId: "running-but-stopped-in-db", powerState: 1 },
        { serverId: "deleting-still-there", powerState: 1 },
        { serverId: "unknown-orphan", powerState: 1 },
      ],
    );
    expect(actions).toEqual([
      { kind: "sync-power", serverId: "running-but-stopped-in-db", powerState: 1, vmState: "active" },
      { kind: "resend-create", serverId: "building" },
      { kind: "finish-delete", serverId: "deleting-gone" },
      { kind: "resend-delete", serverId: "deleting-still-there" },
      { kind: "lost", serverId: "vanished" },
      { kind: "delete-orphan", serverId: "unknown-orphan" },
    ]);
  });
});
