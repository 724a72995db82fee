import type { ImageRef } from "#shared";

/** Downloads image bytes; the daemon supplies one that sends the host's credentials. */
export type ImageFetcher = (url: string) => Promise<ReadableStream<Uint8Array>>;
/** Sends image bytes to the edge (PUT url) with the host's credentials; `remove` DELETEs instead. */
export interface ImageUploader {
  put(url: string, path: string): Promise<void>;
  remove(url: string): Promise<void>;
}

export interface StorageDriver {
  /**
   * Returns the local path of the cached image, downloading it once (concurrent callers share
   * one download), verifying Glance's md5 checksum; a mismatch discards the file and throws.
   */
  ensureImage(image: ImageRef): Promise<string>;
  /** Creates the server's qcow2 overlay on the cached base, grown to `diskGb` (0 = base size). */
  createDisk(serverId: string, basePath: string, diskGb: number): Promise<string>;
  /** Nova rescue: a fresh overlay of `basePath` beside the server's disk (kept if it exists). */
  createRescueDisk(serverId: string, basePath: string): Promise<string>;
  /** Drops the rescue disk; none is fine. */
  deleteRescueDisk(serverId: string): Promise<void>;
  /** Removes everything the server has on this host's storage; missing is not an error. */
  deleteServerFiles(serverId: string): Promise<void>;
  consoleLogPath(serverId: string): string;
  /** Where the server's root disk lives on this host (it may not exist). */
  diskPath(serverId: string): string;
  /** Last `lines` lines (all when null) of the serial console log; "" when there is none. */
  readConsole(serverId: string, lines: number | null): Promise<string>;
  /** Copies the server's disk aside so a resize can be reverted; an existing copy is kept. */
  keepDisk(serverId: string): Promise<void>;
  /** Grows the server's disk to `diskGb` (never shrinks). */
  growDisk(serverId: string, diskGb: number): Promise<void>;
  /** Puts the kept copy back as the disk (resize revert); no copy is an error. */
  restoreKeptDisk(serverId: string): Promise<void>;
  /** Drops the kept copy (resize confirm); none is fine. */
  dropKeptDisk(serverId: string): Promise<void>;
  /**
   * Nova's snapshot: the server's disk with its backing chain converted to one standalone qcow2,
   * uploaded to `uploadUrl` (`uploading` is called between the two); the temporary copy is removed either way.
   */
  snapshotToImage(serverId: string, uploadUrl: string, uploading?: () => Promise<void>): Promise<void>;
  /** Tells the edge a snapshot failed, so the queued image is removed. */
  abandonImage(uploadUrl: string): Promise<void>;
  /**
   * Cold migration's arrival: downloads a standalone qcow2 (md5 `checksum`) from `url` as the
   * server's disk; an existing disk is kept (idempotent). Nothing is left behind on failure.
   */
  importDisk(serverId: string, url: string, checksum: string): Promise<string>;
  /** Server ids that have files on this host (for orphan clean-up). */
  listServers(): Promise<string[]>;
}
