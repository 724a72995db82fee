import { randomBytes } from "node:crypto";
import { chmod, copyFile, mkdir, open, readdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ImageRef } from "#shared";
import { exec as realExec, type Exec } from "../../exec.js";
import { Revert } from "../../revert.js";
import { pickEvictions } from "./cache-lru.js";
import { downloadVerified } from "./download.js";
import { assertSafeId } from "../safe-id.js";
import { parseQemuImgInfo, qemuFormat, tailLines } from "./image-format.js";
import type { ImageFetcher, ImageUploader, StorageDriver } from "./types.js";

export interface Qcow2StorageOptions {
  /** Root of this host's files: images/ (cached bases) and instances/<serverId>/. */
  stateDir: string;
  fetchImage: ImageFetcher;
  /** Needed for snapshots only. */
  uploadImage?: ImageUploader;
  exec?: Exec;
  /** readConsole reads at most this many bytes from the end of the log (default 1 MiB). */
  maxConsoleBytes?: number;
  /** Size the image cache is trimmed to (least recently used first) after a download; no limit if unset. */
  cacheBytes?: number;
  /** Images used this recently are kept: a build may be between ensureImage and createDisk (default 10 min). */
  cacheGraceMs?: number;
}

const GiB = 1024 ** 3;
const exists = (path: string) => stat(path).then(() => true, () => false);

/** Base images cached once per host; each server gets a qcow2 overlay on its base. */
export class Qcow2StorageDriver implements StorageDriver {
  private readonly exec: Exec;
  private readonly downloads = new Map<string, Promise<string>>();

  constructor(private readonly opts: Qcow2StorageOptions) {
    this.exec = opts.exec ?? realExec;
  }

  private get imagesDir() {
    return join(this.opts.stateDir, "images");
  }
  private get instancesDir() {
    return join(this.opts.stateDir, "instances");
  }
  private serverDir(serverId: string) {
    return join(this.instancesDir, assertSafeId(serverId));
  }

  async ensureImage(image: ImageRef): Promise<string> {
    const path = join(this.imagesDir, assertSafeId(image.id));
    let pending = this.downloads.get(image.id);
    if (!pending) {
      pending = this.fetchOnce(image, path).finally(() => this.downloads.delete(image.id));
      this.downloads.set(image.id, pending);
    }
    const ready = await pending;
    // The .format file's mtime is the image's last use, for LRU eviction.
    const now = new Date();
    await utimes(`${path}.format`, now, now);
    return ready;
  }

  /**
   * Trims the cache to `cacheBytes`, least recently used first, sparing images that a server's disk
   * is backed by, downloads in flight and images used within the grace period.
   */
  async trimCache(): Promise<string[]> {
    const cap = this.opts.cacheBytes;
    if (cap === undefined) return [];
    const grace = this.opts.cacheGraceMs ?? 10 * 60_000;
    const backing = await this.backingFiles();
    const names = await readdir(this.imagesDir).catch(() => [] as string[]);
    const entries = [];
    for (const name of names.filter((n) => n.endsWith(".format"))) {
      const id = name.slice(0, -".format".length);
      const path = join(this.imagesDir, id);
      const [data, used] = await Promise.all([stat(path).catch(() => null), stat(`${path}.format`)]);
      if (!data) continue;
      const inUse = backing.has(path) || this.downloads.has(id) || Date.now() - used.mtimeMs < grace;
      entries.push({ id, bytes: data.size, lastUsed: used.mtimeMs, inUse });
    }
    const evict = pickEvictions(entries, cap);
    for (const id of evict) await rm(join(this.imagesDir, id), { force: true }).then(() => rm(join(this.imagesDir, `${id}.format`), { force: true }));
    return evict;
  }

  /** Base images the servers' disks are backed by (-U: running guests hold the disk lock). */
  private async backingFiles(): Promise<Set<string>> {
    const used = new Set<string>();
    for (const id of await this.listServers()) {
      const disk = join(this.serverDir(id), "disk");
      if (!(await exists(disk))) continue;
      const { stdout } = await this.exec("qemu-img", ["info", "-U", "--output=json", "-f", "qcow2", disk]);
      const backing = parseQemuImgInfo(stdout).backingFile;
      if (backing) used.add(backing);
    }
    return used;
  }

  async createDisk(serverId: string, basePath: string, diskGb: number): Promise<string> {
    return this.overlay(serverId, "disk", basePath, diskGb);
  }

  async createRescueDisk(serverId: string, basePath: string): Promise<string> {
    return this.overlay(serverId, "disk.rescue", basePath, 0);
  }

  async deleteRescueDisk(serverId: string): Promise<void> {
    await rm(join(this.serverDir(serverId), "disk.rescue"), { force: true });
  }

  /** A qcow2 overlay `file` in the server's directory on a cached base; an existing one is kept. */
  private async overlay(serverId: string, file: string, basePath: string, diskGb: number): Promise<string> {
    const dir = this.serverDir(serverId);
    const disk = join(dir, file);
    if (await exists(disk)) return disk;
    const baseFormat = (await readFile(`${basePath}.format`, "utf8")).trim();
    await this.mkdirTraversable(dir);
    return Revert.run(async (revert) => {
      // Build under a temporary name so an interrupted create never looks finished.
      const tmp = `${disk}.tmp-${randomBytes(4).toString("hex")}`;
      revert.add(() => rm(tmp, { force: true }));
      await this.exec("qemu-img", ["create", "-q", "-f", "qcow2", "-F", baseFormat, "-b", basePath, tmp]);
      const base = await this.info(basePath, baseFormat);
      if (diskGb * GiB > base.virtualSize) await this.exec("qemu-img", ["resize", "-q", "-f", "qcow2", tmp, `${diskGb}G`]);
      await rename(tmp, disk);
      return disk;
    });
  }

  async deleteServerFiles(serverId: string): Promise<void> {
    await rm(this.serverDir(serverId), { recursive: true, force: true });
  }

  async keepDisk(serverId: string): Promise<void> {
    const disk = join(this.serverDir(serverId), "disk");
    const kept = `${disk}.pre-resize`;
    if (await exists(kept)) return;
    // The overlay is small (the base stays shared); a copy keeps the revert point intact.
    await copyFile(disk, `${kept}.tmp`);
    await rename(`${kept}.tmp`, kept);
  }

  async growDisk(serverId: string, diskGb: number): Promise<void> {
    const disk = join(this.serverDir(serverId), "disk");
    const { virtualSize } = await this.info(disk, "qcow2");
    if (diskGb * GiB > virtualSize) await this.exec("qemu-img", ["resize", "-q", "-f", "qcow2", disk, `${diskGb}G`]);
  }

  async restoreKeptDisk(serverId: string): Promise<void> {
    const disk = join(this.serverDir(serverId), "disk");
    await rename(`${disk}.pre-resize`, disk);
  }

  async dropKeptDisk(serverId: string): Promise<void> {
    await rm(join(this.serverDir(serverId), "disk.pre-resize"), { force: true });
  }

  diskPath(serverId: string): string {
    return join(this.serverDir(serverId), "disk");
  }

  consoleLogPath(serverId: string): string {
    return join(this.serverDir(serverId), "console.log");
  }

  async readConsole(serverId: string, lines: number | null): Promise<string> {
    const max = this.opts.maxConsoleBytes ?? 1024 * 1024;
    let file;
    try {
      file = await open(this.consoleLogPath(serverId), "r");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return "";
      throw err;
    }
    try {
      const { size } = await file.stat();
      const start = Math.max(0, size - max);
      const buf = Buffer.alloc(size - start);
      await file.read(buf, 0, buf.length, start);
      let text = buf.toString("utf8");
      // Drop the line the byte cap cut in half.
      if (start > 0) text = text.slice(text.indexOf("\n") + 1);
      return tailLines(text, lines);
    } finally {
      await file.close();
    }
  }

  async snapshotToImage(serverId: string, uploadUrl: string, uploading?: () => Promise<void>): Promise<void> {
    const uploader = this.opts.uploadImage;
    if (!uploader) throw new Error("this host has no image uploader configured");
    const disk = join(this.serverDir(serverId), "disk");
    if (!(await exists(disk))) throw new Error(`server ${serverId} has no disk on this host`);
    const tmp = join(this.serverDir(serverId), `snapshot-${randomBytes(4).toString("hex")}.qcow2`);
    try {
      // -U: a running guest holds the image lock; the copy is crash-consistent at best, as Nova's live snapshot without quiesce.
      await this.exec("qemu-img", ["convert", "-U", "-q", "-f", "qcow2", "-O", "qcow2", disk, tmp]);
      await uploading?.();
      await uploader.put(uploadUrl, tmp);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  async abandonImage(uploadUrl: string): Promise<void> {
    await this.opts.uploadImage?.remove(uploadUrl);
  }

  async importDisk(serverId: string, url: string, checksum: string): Promise<string> {
    const dir = this.serverDir(serverId);
    const disk = join(dir, "disk");
    if (await exists(disk)) return disk;
    await this.mkdirTraversable(dir);
    // downloadVerified renames into place only a complete file with the right md5.
    await downloadVerified(await this.opts.fetchImage(url), disk, checksum);
    const info = await this.info(disk, "qcow2").catch(async (err: Error) => {
      await rm(disk, { force: true });
      throw err;
    });
    if (info.backingFile) {
      await rm(disk, { force: true });
      throw new Error(`migrated disk of ${serverId} has a backing file; refusing it`);
    }
    return disk;
  }

  async listServers(): Promise<string[]> {
    try {
      const entries = await readdir(this.instancesDir, { withFileTypes: true });
      return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
  }

  private async fetchOnce(image: ImageRef, path: string): Promise<string> {
    if (await exists(path)) return path;
    const format = qemuFormat(image.diskFormat);
    await this.mkdirTraversable(this.imagesDir);
    return Revert.run(async (revert) => {
      // The declared format is kept so the image is never probed (a raw image could pose as qcow2).
      // It is written first: a cached image without it would be unusable.
      revert.add(() => rm(`${path}.format`, { force: true }));
      await writeFile(`${path}.format`, `${format}\n`, { mode: 0o644 });
      await downloadVerified(await this.opts.fetchImage(image.url), path, image.checksum);
      revert.add(() => rm(path, { force: true }));
      const info = await this.info(path, format);
      if (info.backingFile) throw new Error(`image ${image.id} has a backing file; refusing it`);
      return path;
    }).then(async (p) => {
      // The new image is within the grace period, so trimming never removes it.
      await this.trimCache().catch(() => undefined);
      return p;
    });
  }

  private async info(path: string, format: string) {
    const { stdout } = await this.exec("qemu-img", ["info", "--output=json", "-f", format, path]);
    return parseQemuImgInfo(stdout);
  }

  /** qemu runs as libvirt-qemu and must traverse every directory down to its files. */
  private async mkdirTraversable(dir: string): Promise<void> {
    for (const d of [this.opts.stateDir, join(dir, ".."), dir]) {
      await mkdir(d, { recursive: true });
      await chmod(d, 0o755);
    }
  }
}
