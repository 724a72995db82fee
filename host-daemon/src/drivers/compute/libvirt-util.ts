import { DomainState as LibvirtState } from "@unraid/libvirt";
import type { DomainState } from "./types.js";

/**
 * Maps libvirt's state numbers onto ours. SHUTDOWN means "shutting down": the guest still
 * runs, and starting it again would fail, so it counts as running.
 */
export function mapState(state: number): DomainState {
  switch (state) {
    case LibvirtState.RUNNING:
    case LibvirtState.BLOCKED:
    case LibvirtState.SHUTDOWN:
      return "running";
    case LibvirtState.PAUSED:
    case LibvirtState.PMSUSPENDED:
      return "paused";
    case LibvirtState.SHUTOFF:
      return "shutoff";
    case LibvirtState.CRASHED:
      return "crashed";
    default:
      return "other";
  }
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** The binding drops libvirt's error codes, so only the message tells "no such domain". */
export const isDomainNotFound = (err: unknown) => /domain not found|no domain with matching/i.test(message(err));

/** Races with the guest powering itself off. */
export const isNotRunning = (err: unknown) => /not running/i.test(message(err));

/** The connection to libvirtd is gone (daemon restarted); a new one is needed. */
export const isConnectionLost = (err: unknown) =>
  /client socket is closed|broken pipe|cannot recv data|cannot write data|end of file while reading|no connection driver/i.test(
    message(err),
  );

/** Parses `virsh version`'s "Running hypervisor: QEMU 7.2.22" line; null when absent. */
export function parseHypervisorVersion(virshOutput: string): { type: string; version: string } | null {
  const m = /^Running hypervisor:\s*(\S+)\s+(\S+)/m.exec(virshOutput);
  return m ? { type: m[1], version: m[2] } : null;
}
