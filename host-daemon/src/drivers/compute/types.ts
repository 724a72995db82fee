/** What the daemon needs from a hypervisor; one implementation per virt backend. */

export interface NicSpec {
  mac: string;
  bridge: string;
  tap: string;
  mtu: number;
}

export interface DomainSpec {
  /** libvirt domain name (shared/names.ts domainName). */
  name: string;
  uuid: string;
  vcpus: number;
  memoryMb: number;
  diskPath: string;
  diskFormat: "qcow2" | "raw";
  nics: NicSpec[];
  /** Serial console is written to this file; console-output reads it back. */
  consoleLogPath: string;
  /** Free-form metadata stored in the domain XML (nimbus namespace). */
  serverId: string;
  /** ISO 9660 config drive attached as a read-only IDE cdrom, as Nova does on `pc` machines. */
  configDrivePath?: string;
  /** Further virtio disks after the root disk (vdb, vdc…): a rescued server's own disk. */
  extraDisks?: Array<{ path: string; format: "qcow2" | "raw" }>;
}

/** "suspended": shut off with its memory saved to disk (Nova's suspend); start restores it. */
export type DomainState = "running" | "paused" | "shutoff" | "crashed" | "other" | "suspended";

export interface DomainInfo {
  name: string;
  state: DomainState;
}

export interface ComputeDriver {
  /** Defines and starts the domain; if it already exists and runs, does nothing. */
  spawn(spec: DomainSpec): Promise<void>;
  start(name: string): Promise<void>;
  /** Graceful ACPI shutdown, then a hard power-off after `graceSeconds`. */
  stop(name: string, graceSeconds: number): Promise<void>;
  reboot(name: string, hard: boolean): Promise<void>;
  /** Powers off and undefines; a missing domain is not an error. */
  destroy(name: string): Promise<void>;
  state(name: string): Promise<DomainState | null>;
  /** Freezes the vCPUs in memory (Nova's pause); paused already is fine. */
  pause(name: string): Promise<void>;
  unpause(name: string): Promise<void>;
  /** Saves memory to disk and stops the domain (Nova's suspend); suspended already is fine. */
  suspend(name: string): Promise<void>;
  /** Restores a suspended domain; running already is fine. */
  resume(name: string): Promise<void>;
  list(): Promise<DomainInfo[]>;
  hostInfo(): Promise<{ vcpus: number; memoryMb: number; hypervisorType: string; version: string }>;
}
