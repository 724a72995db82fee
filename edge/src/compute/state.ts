/** Nova's stable vm_state, in-flight task_state and the API status derived from them. */
export type VmState = "building" | "active" | "stopped" | "error" | "deleted" | "paused" | "suspended" | "resized" | "rescued";

export type ServerAction = "start" | "stop" | "reboot" | "delete" | "console"
  | "pause" | "unpause" | "suspend" | "resume" | "rebuild" | "resize" | "confirmResize" | "revertResize" | "rescue" | "unrescue";

interface ActionRule {
  /** vm_states the action may start from */
  from: VmState[];
  /** task_state the action sets while the host works (null: none) */
  task: string | null;
  /** whether it may interrupt a running task (only delete may) */
  anyTask?: boolean;
}

const rules: Record<ServerAction, ActionRule> = {
  start: { from: ["stopped"], task: "powering-on" },
  stop: { from: ["active", "error"], task: "powering-off" },
  reboot: { from: ["active", "stopped"], task: "rebooting" },
  delete: { from: ["building", "active", "stopped", "error", "paused", "suspended", "resized", "rescued"], task: "deleting", anyTask: true },
  console: { from: ["active", "stopped", "error", "building", "paused", "suspended", "resized", "rescued"], task: null, anyTask: true },
  pause: { from: ["active"], task: "pausing" },
  unpause: { from: ["paused"], task: "unpausing" },
  suspend: { from: ["active", "paused"], task: "suspending" },
  resume: { from: ["suspended"], task: "resuming" },
  rebuild: { from: ["active", "stopped", "error"], task: "rebuilding" },
  resize: { from: ["active", "stopped"], task: "resize_prep" },
  confirmResize: { from: ["resized"], task: "resize_confirming" },
  revertResize: { from: ["resized"], task: "resize_reverting" },
  rescue: { from: ["active", "stopped"], task: "rescuing" },
  unrescue: { from: ["rescued"], task: "unrescuing" },
};

export const actionRule = (action: ServerAction) => rules[action];

/** Whether `action` may start now; Nova answers 409 otherwise. */
export function canStart(action: ServerAction, vmState: string, taskState: string | null): boolean {
  const rule = rules[action];
  if (!rule.from.includes(vmState as VmState)) return false;
  if (rule.anyTask) return taskState !== "deleting";
  return taskState === null;
}

/** The `status` field clients see. */
export function apiStatus(vmState: string, taskState: string | null): string {
  if (taskState === "rebuilding" && (vmState === "active" || vmState === "stopped")) return "REBUILD";
  if (taskState?.startsWith("resize_") && taskState !== "resize_reverting" && (vmState === "active" || vmState === "stopped")) return "RESIZE";
  if (vmState === "resized") return taskState === "resize_reverting" ? "REVERT_RESIZE" : "VERIFY_RESIZE";
  if (vmState === "active") {
    if (taskState === "rebooting") return "REBOOT";
    if (taskState === "rebooting_hard") return "HARD_REBOOT";
    return "ACTIVE";
  }
  const map: Record<string, string> = { rescued: "RESCUE", building: "BUILD", stopped: "SHUTOFF", error: "ERROR", deleted: "DELETED", paused: "PAUSED", suspended: "SUSPENDED" };
  return map[vmState] ?? "UNKNOWN";
}
