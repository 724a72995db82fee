/** Nova's stable vm_state, in-flight task_state and the API status derived from them. */
export type VmState = "building" | "active" | "stopped" | "error" | "deleted";

export type ServerAction = "start" | "stop" | "reboot" | "delete" | "console";

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
  delete: { from: ["building", "active", "stopped", "error"], task: "deleting", anyTask: true },
  console: { from: ["active", "stopped", "error", "building"], task: null, anyTask: true },
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
  if (vmState === "active") {
    if (taskState === "rebooting") return "REBOOT";
    if (taskState === "rebooting_hard") return "HARD_REBOOT";
    return "ACTIVE";
  }
  const map: Record<string, string> = { building: "BUILD", stopped: "SHUTOFF", error: "ERROR", deleted: "DELETED" };
  return map[vmState] ?? "UNKNOWN";
}
