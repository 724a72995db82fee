import type { DiskAttacher, DiskSpec, LocalVolumeSource, PoolInventory, VolumeDriver } from "./types.js";

/** In-memory VolumeDriver for daemon unit tests: same idempotency rules as the real one. */
export class FakeVolumeDriver implements VolumeDriver {
  readonly backend = "fake";
  readonly volumes = new Map<string, { sizeGb: number; source: LocalVolumeSource }>();
  readonly snapshots = new Map<string, string>();
  private nextError: Error | null = null;

  failNext(err: Error = new Error("injected volume failure")) {
    this.nextError = err;
  }

  private check() {
    const err = this.nextError;
    this.nextError = null;
    if (err) throw err;
  }

  async create(volumeId: string, sizeGb: number, source: LocalVolumeSource) {
    this.check();
    if (source.kind === "snapshot" && !this.snapshots.has(source.snapshotId)) throw new Error(`snapshot ${source.snapshotId} is missing`);
    if (source.kind === "volume" && !this.volumes.has(source.volumeId)) throw new Error(`volume ${source.volumeId} is missing`);
    if (!this.volumes.has(volumeId)) this.volumes.set(volumeId, { sizeGb, source });
  }
  async delete(volumeId: string) {
    this.check();
    this.volumes.delete(volumeId);
  }
  async extend(volumeId: string, sizeGb: number) {
    this.check();
    const v = this.volumes.get(volumeId);
    if (!v) throw new Error(`volume ${volumeId} is missing`);
    v.sizeGb = Math.max(v.sizeGb, sizeGb);
  }
  async snapshot(volumeId: string, snapshotId: string) {
    this.check();
    if (!this.volumes.has(volumeId)) throw new Error(`volume ${volumeId} is missing`);
    this.snapshots.set(snapshotId, volumeId);
  }
  async deleteSnapshot(snapshotId: string) {
    this.check();
    this.snapshots.delete(snapshotId);
  }
  locate(volumeId: string) {
    return { path: `/fake/volumes/${volumeId}`, format: "qcow2" as const };
  }
  async inventory(): Promise<PoolInventory> {
    return { totalGb: 100, freeGb: 90, volumes: [...this.volumes.keys()].sort(), snapshots: [...this.snapshots.keys()].sort() };
  }
}

/** Records attachments per domain. */
export class FakeDiskAttacher implements DiskAttacher {
  readonly disks = new Map<string, Map<string, DiskSpec>>();
  failNextAttach: Error | null = null;

  async attach(domain: string, disk: DiskSpec) {
    const err = this.failNextAttach;
    this.failNextAttach = null;
    if (err) throw err;
    const m = this.disks.get(domain) ?? new Map<string, DiskSpec>();
    m.set(disk.device, disk);
    this.disks.set(domain, m);
  }
  async detach(domain: string, device: string) {
    this.disks.get(domain)?.delete(device);
  }
  async listDisks(domain: string) {
    return [...(this.disks.get(domain)?.values() ?? [])].map((d) => ({ device: d.device, path: d.path }));
  }
  /** Live sizes of resized disks, per domain and device; domains in `stopped` are not running. */
  readonly liveSizes = new Map<string, number>();
  readonly stopped = new Set<string>();
  async resize(domain: string, device: string, sizeGb: number) {
    if (this.stopped.has(domain)) return false;
    if (!this.disks.get(domain)?.has(device)) throw new Error(`${domain} has no disk ${device}`);
    this.liveSizes.set(`${domain}/${device}`, sizeGb);
    return true;
  }
}
