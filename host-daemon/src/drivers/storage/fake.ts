import type { ImageRef } from "#shared";
import { tailLines } from "./image-format.js";
import type { StorageDriver } from "./types.js";

/** In-memory StorageDriver for daemon unit tests; paths are fictitious. */
export class FakeStorageDriver implements StorageDriver {
  readonly images = new Set<string>();
  /** serverId → disk size asked for. */
  readonly disks = new Map<string, number>();
  readonly consoles = new Map<string, string>();
  private nextImageError: Error | null = null;

  constructor(private readonly root = "/fake") {}

  /** Makes the next ensureImage throw (e.g. a checksum mismatch). */
  failNextImage(err: Error = new Error("checksum mismatch (injected)")): void {
    this.nextImageError = err;
  }

  async ensureImage(image: ImageRef): Promise<string> {
    if (this.nextImageError) {
      const err = this.nextImageError;
      this.nextImageError = null;
      throw err;
    }
    this.images.add(image.id);
    return `${this.root}/images/${image.id}`;
  }

  async createDisk(serverId: string, _basePath: string, diskGb: number): Promise<string> {
    this.disks.set(serverId, diskGb);
    return `${this.root}/instances/${serverId}/disk`;
  }

  /** Servers with a rescue disk, and the base it was made from. */
  readonly rescueDisks = new Map<string, string>();

  async createRescueDisk(serverId: string, basePath: string): Promise<string> {
    this.rescueDisks.set(serverId, basePath);
    return `${this.root}/instances/${serverId}/disk.rescue`;
  }

  async deleteRescueDisk(serverId: string): Promise<void> {
    this.rescueDisks.delete(serverId);
  }

  /** serverId → disk size kept for a resize revert. */
  readonly keptDisks = new Map<string, number>();

  async keepDisk(serverId: string): Promise<void> {
    if (!this.keptDisks.has(serverId)) this.keptDisks.set(serverId, this.disk(serverId));
  }

  async growDisk(serverId: string, diskGb: number): Promise<void> {
    this.disks.set(serverId, Math.max(this.disk(serverId), diskGb));
  }

  async restoreKeptDisk(serverId: string): Promise<void> {
    const kept = this.keptDisks.get(serverId);
    if (kept === undefined) throw new Error(`no kept disk for ${serverId}`);
    this.disks.set(serverId, kept);
    this.keptDisks.delete(serverId);
  }

  async dropKeptDisk(serverId: string): Promise<void> {
    this.keptDisks.delete(serverId);
  }

  private disk(serverId: string): number {
    const size = this.disks.get(serverId);
    if (size === undefined) throw new Error(`no disk for ${serverId}`);
    return size;
  }

  async deleteServerFiles(serverId: string): Promise<void> {
    this.disks.delete(serverId);
    this.keptDisks.delete(serverId);
    this.consoles.delete(serverId);
  }

  diskPath(serverId: string): string {
    return `${this.root}/instances/${serverId}/disk`;
  }

  consoleLogPath(serverId: string): string {
    return `${this.root}/instances/${serverId}/console.log`;
  }

  async readConsole(serverId: string, lines: number | null): Promise<string> {
    return tailLines(this.consoles.get(serverId) ?? "", lines);
  }

  /** serverId → upload URLs of snapshots taken; abandoned upload URLs. */
  readonly snapshots: Array<{ serverId: string; uploadUrl: string }> = [];
  readonly abandoned: string[] = [];
  private nextSnapshotError: Error | null = null;

  failNextSnapshot(err: Error = new Error("qemu-img convert failed (injected)")): void {
    this.nextSnapshotError = err;
  }

  async snapshotToImage(serverId: string, uploadUrl: string, uploading?: () => Promise<void>): Promise<void> {
    if (this.nextSnapshotError) {
      const err = this.nextSnapshotError;
      this.nextSnapshotError = null;
      throw err;
    }
    if (!this.disks.has(serverId)) throw new Error(`server ${serverId} has no disk on this host`);
    await uploading?.();
    this.snapshots.push({ serverId, uploadUrl });
  }

  async abandonImage(uploadUrl: string): Promise<void> {
    this.abandoned.push(uploadUrl);
  }

  /** serverId → URL its migrated disk was imported from. */
  readonly imported = new Map<string, string>();
  private nextImportError: Error | null = null;

  failNextImport(err: Error = new Error("checksum mismatch (injected)")): void {
    this.nextImportError = err;
  }

  async importDisk(serverId: string, url: string, _checksum: string): Promise<string> {
    if (this.nextImportError) {
      const err = this.nextImportError;
      this.nextImportError = null;
      throw err;
    }
    this.imported.set(serverId, url);
    if (!this.disks.has(serverId)) this.disks.set(serverId, 0);
    return `${this.root}/instances/${serverId}/disk`;
  }

  async listServers(): Promise<string[]> {
    return [...this.disks.keys()].sort();
  }
}
