import { randomBytes } from "node:crypto";
import { chmod, mkdir, readdir, rename, rm, stat, statfs } from "node:fs/promises";
import { basename, join } from "node:path";
import { exec as realExec, type Exec } from "../../exec.js";
import { Revert } from "../../revert.js";
import { assertSafeId } from "../safe-id.js";
import { parseQemuImgInfo } from "../storage/image-format.js";
import type { LocalVolumeSource, PoolInventory, VolumeDriver } from "./types.js";

export interface DirVolumeOptions {
  /** The pool directory: volume-<id>.qcow2 and snapshot-<id>.qcow2 files. */
  poolDir: string;
  backend?: string;
  exec?: Exec;
}

const GiB = 1024 ** 3;
const exists = (path: string) => stat(path).then(() => true, () => false);

/** Volumes as qcow2 files in a directory, made and changed with qemu-img (Cinder's NFS/generic-fs drivers do the same). */
export class DirVolumeDriver implements VolumeDriver {
  readonly backend: string;
  private readonly exec: Exec;

  constructor(private readonly opts: DirVolumeOptions) {
    this.backend = opts.backend ?? "dir";
    this.exec = opts.exec ?? realExec;
  }

  private volumePath(id: string) {
    return join(this.opts.poolDir, `volume-${assertSafeId(id)}.qcow2`);
  }
  private snapshotPath(id: string) {
    return join(this.opts.poolDir, `snapshot-${assertSafeId(id)}.qcow2`);
  }

  locate(volumeId: string) {
    return { path: this.volumePath(volumeId), format: "qcow2" as const };
  }

  async create(volumeId: string, sizeGb: number, source: LocalVolumeSource): Promise<void> {
    const target = this.volumePath(volumeId);
    if (await exists(target)) return;
    await this.ensurePool();
    await this.writeAtomically(target, async (tmp) => {
      const from = this.sourceFile(source);
      if (from) await this.exec("qemu-img", ["convert", "-q", "-f", from.format, "-O", "qcow2", from.path, tmp]);
      else await this.exec("qemu-img", ["create", "-q", "-f", "qcow2", tmp, `${sizeGb}G`]);
      if (from && (await this.virtualSize(tmp)) < sizeGb * GiB) await this.exec("qemu-img", ["resize", "-q", "-f", "qcow2", tmp, `${sizeGb}G`]);
    });
  }

  /**
   * Unlinks the file, and any half-built copy an interrupted create left: the filesystem hands its
   * blocks to later files zeroed, and ids are never reused, so no later volume can read this data.
   */
  async delete(volumeId: string): Promise<void> {
    await this.removeWithLeftovers(this.volumePath(volumeId));
  }

  async extend(volumeId: string, sizeGb: number): Promise<void> {
    const path = this.volumePath(volumeId);
    if (!(await exists(path))) throw new Error(`volume ${volumeId} does not exist in pool ${this.opts.poolDir}`);
    if ((await this.virtualSize(path)) >= sizeGb * GiB) return;
    await this.exec("qemu-img", ["resize", "-q", "-f", "qcow2", path, `${sizeGb}G`]);
  }

  async snapshot(volumeId: string, snapshotId: string): Promise<void> {
    const target = this.snapshotPath(snapshotId);
    if (await exists(target)) return;
    const source = this.volumePath(volumeId);
    if (!(await exists(source))) throw new Error(`volume ${volumeId} does not exist in pool ${this.opts.poolDir}`);
    // -U: an attached volume is locked by qemu; the copy is crash-consistent, as Cinder's force snapshot is.
    await this.writeAtomically(target, (tmp) => this.exec("qemu-img", ["convert", "-q", "-U", "-f", "qcow2", "-O", "qcow2", source, tmp]).then(() => undefined));
  }

  async deleteSnapshot(snapshotId: string): Promise<void> {
    await this.removeWithLeftovers(this.snapshotPath(snapshotId));
  }

  private async removeWithLeftovers(path: string) {
    await rm(path, { force: true });
    const prefix = `${basename(path)}.tmp-`;
    const names = await readdir(this.opts.poolDir).catch(() => [] as string[]);
    for (const n of names.filter((x) => x.startsWith(prefix))) await rm(join(this.opts.poolDir, n), { force: true });
  }

  async inventory(): Promise<PoolInventory> {
    await this.ensurePool();
    const fs = await statfs(this.opts.poolDir);
    const names = await readdir(this.opts.poolDir);
    const ids = (prefix: string) => names.filter((n) => n.startsWith(prefix) && n.endsWith(".qcow2")).map((n) => n.slice(prefix.length, -".qcow2".length)).sort();
    return {
      totalGb: Math.floor((fs.blocks * fs.bsize) / GiB), freeGb: Math.floor((fs.bavail * fs.bsize) / GiB),
      volumes: ids("volume-"), snapshots: ids("snapshot-"),
    };
  }

  private sourceFile(source: LocalVolumeSource): { path: string; format: string } | null {
    switch (source.kind) {
      case "empty": return null;
      case "file": return { path: source.path, format: source.format };
      case "snapshot": return { path: this.snapshotPath(source.snapshotId), format: "qcow2" };
      case "volume": return { path: this.volumePath(source.volumeId), format: "qcow2" };
    }
  }

  /** Builds under a temporary name, so an interrupted operation never leaves a file that looks finished. */
  private async writeAtomically(target: string, build: (tmp: string) => Promise<void>) {
    await Revert.run(async (revert) => {
      const tmp = `${target}.tmp-${randomBytes(4).toString("hex")}`;
      revert.add(() => rm(tmp, { force: true }));
      await build(tmp);
      // qemu runs as libvirt-qemu and must read and write an attached volume.
      await chmod(tmp, 0o666);
      await rename(tmp, target);
    });
  }

  private async virtualSize(path: string): Promise<number> {
    const { stdout } = await this.exec("qemu-img", ["info", "-U", "--output=json", "-f", "qcow2", path]);
    return parseQemuImgInfo(stdout).virtualSize;
  }

  private async ensurePool() {
    await mkdir(this.opts.poolDir, { recursive: true });
    await chmod(this.opts.poolDir, 0o755);
  }
}
