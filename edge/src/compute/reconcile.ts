import { powerStates } from "#shared";

export interface KnownServer {
  id: string;
  vmState: string;
  taskState: string | null;
}

export interface ReportedDomain {
  serverId: string;
  powerState: number;
}

export type ReconcileAction =
  | { kind: "sync-power"; serverId: string; powerState: number; vmState: string }
  | { kind: "resend-create"; serverId: string }
  | { kind: "resend-delete"; serverId: string }
  | { kind: "finish-delete"; serverId: string }
  | { kind: "lost"; serverId: string }
  | { kind: "delete-orphan"; serverId: string };

/** The vm_state a domain's power state means; a resize awaiting confirmation and a suspend to disk keep theirs. */
export function vmStateFor(current: string, powerState: number): string {
  if (current === "resized" || current === "rescued") return current;
  if (powerState === powerStates.RUNNING) return "active";
  if (powerState === powerStates.PAUSED) return "paused";
  return current === "suspended" ? current : "stopped";
}

/**
 * What to do when a host reports every domain it has: the host's reality wins for power state,
 * unfinished builds and deletes are sent again (commands are idempotent), domains the database
 * does not know are removed.
 */
export function reconcile(known: KnownServer[], reported: ReportedDomain[]): ReconcileAction[] {
  const byId = new Map(reported.map((d) => [d.serverId, d]));
  const actions: ReconcileAction[] = [];
  for (const s of known) {
    const d = byId.get(s.id);
    byId.delete(s.id);
    if (s.taskState === "deleting") actions.push(d ? { kind: "resend-delete", serverId: s.id } : { kind: "finish-delete", serverId: s.id });
    else if (s.vmState === "building") actions.push({ kind: "resend-create", serverId: s.id });
    else if (!d) {
      if (s.vmState !== "error") actions.push({ kind: "lost", serverId: s.id });
    } else if (s.taskState === null && s.vmState !== "error") {
      actions.push({ kind: "sync-power", serverId: s.id, powerState: d.powerState, vmState: vmStateFor(s.vmState, d.powerState) });
    }
  }
  for (const orphan of byId.keys()) actions.push({ kind: "delete-orphan", serverId: orphan });
  return actions;
}
