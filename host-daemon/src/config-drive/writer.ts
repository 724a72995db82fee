import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { exec as realExec, type Exec } from "../exec.js";
import { assertSafeId } from "../drivers/safe-id.js";

/** Files of a config drive: path relative to its root → content. */
export type DriveFiles = Record<string, string | Uint8Array>;

/** Writes and removes a server's config drive image (Nova's `disk.config`). */
export interface ConfigDriveWriter {
  /** Builds the ISO and returns its path. */
  create(serverId: string, files: DriveFiles): Promise<string>;
  /** Missing is not an error. */
  remove(serverId: string): Promise<void>;
}

/** Arguments for `xorriso -as mkisofs`, as Nova calls genisoimage: Rock Ridge + Joliet, volume id `config-2`. */
export const isoArgs = (out: string, root: string) =>
  ["-as", "mkisofs", "-o", out, "-ldots", "-allow-lowercase", "-allow-multidot", "-l", "-publisher", "Nimbus", "-quiet", "-J", "-r", "-V", "config-2", root];

/** ISO 9660 config drives built with xorriso beside the server's disk (instances/<id>/disk.config). */
export class IsoConfigDriveWriter implements ConfigDriveWriter {
  private readonly exec: Exec;

  constructor(private readonly opts: { stateDir: string; exec?: Exec }) {
    this.exec = opts.exec ?? realExec;
  }

  path(serverId: string) {
    return join(this.opts.stateDir, "instances", assertSafeId(serverId), "disk.config");
  }

  async create(serverId: string, files: DriveFiles): Promise<string> {
    const out = this.path(serverId);
    const staging = await mkdtemp(join(tmpdir(), "nimbus-config-drive-"));
    try {
      for (const [rel, content] of Object.entries(files)) {
        if (rel.split("/").some((part) => part === ".." || part === "")) throw new Error(`bad config drive path ${rel}`);
        await mkdir(dirname(join(staging, rel)), { recursive: true });
        await writeFile(join(staging, rel), content);
      }
      await mkdir(dirname(out), { recursive: true });
      await rm(out, { force: true });
      await this.exec("xorriso", isoArgs(out, staging));
      await chmod(out, 0o644); // qemu runs as libvirt-qemu
      return out;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  async remove(serverId: string): Promise<void> {
    await rm(this.path(serverId), { force: true });
  }
}

/** In-memory writer for unit tests. */
export class MemoryConfigDriveWriter implements ConfigDriveWriter {
  readonly drives = new Map<string, DriveFiles>();
  async create(serverId: string, files: DriveFiles) {
    this.drives.set(serverId, files);
    return `/fake/${serverId}/disk.config`;
  }
  async remove(serverId: string) {
    this.drives.delete(serverId);
  }
}
