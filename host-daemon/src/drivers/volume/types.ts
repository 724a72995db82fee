/** What the daemon needs from a host's volume pool; one implementation per backend. */

/** A new volume's content, resolved to local files. */
export type LocalVolumeSource =
  | { kind: "empty" }
  | { kind: "file"; path: string; format: string }
  | { kind: "snapshot"; snapshotId: string }
  | { kind: "volume"; volumeId: string };

export interface PoolInventory {
  totalGb: number;
  freeGb: number;
  volumes: string[];
  snapshots: string[];
}

export interface VolumeDriver {
  /** Backend name, matched against a volume type's `volume_backend_name`. */
  readonly backend: string;
  /** Creates the volume of `sizeGb` from `source`; an existing volume is left as it is (idempotent). */
  create(volumeId: string, sizeGb: number, source: LocalVolumeSource): Promise<void>;
  /** Removes the volume; missing is not an error. */
  delete(volumeId: string): Promise<void>;
  /** Grows the volume to `sizeGb`; never shrinks. */
  extend(volumeId: string, sizeGb: number): Promise<void>;
  /** A point-in-time copy of the volume, independent of it. */
  snapshot(volumeId: string, snapshotId: string): Promise<void>;
  deleteSnapshot(snapshotId: string): Promise<void>;
  /** Where a hypervisor finds the volume, and in which format. */
  locate(volumeId: string): { path: string; format: "qcow2" | "raw" };
  inventory(): Promise<PoolInventory>;
}

export interface DiskSpec {
  path: string;
  format: "qcow2" | "raw";
  /** Guest target, vdb… */
  device: string;
  readonly: boolean;
  /** Shown to the guest as the disk's serial (Nova uses the volume id). */
  serial: string;
}

/** Hot-plugs disks into domains (live and in the persistent config). */
export interface DiskAttacher {
  /** Attaches; a disk already on `device` is not an error. */
  attach(domain: string, disk: DiskSpec): Promise<void>;
  /** Detaches and waits until the guest let go; an absent disk is not an error. */
  detach(domain: string, device: string): Promise<void>;
  /**
   * Grows an attached disk to `sizeGb` through the running hypervisor, which also grows the file,
   * so the guest sees the new size live; false (nothing done) when the domain is not running.
   */
  resize(domain: string, device: string, sizeGb: number): Promise<boolean>;
  /** The file-backed disks of the domain's persistent config (what it runs with after a restart). */
  listDisks(domain: string): Promise<Array<{ device: string; path: string }>>;
}
