import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exec as realExec, type Exec } from "../../exec.js";
import { buildVolumeDiskXml, parseDomblklist, parseDomblklistSources } from "./disk-xml.js";
import type { DiskAttacher, DiskSpec } from "./types.js";

export interface VirshAttacherOptions {
  uri: string;
  exec?: Exec;
  /** How long a live detach waits for the guest to release the disk. */
  detachTimeoutMs?: number;
  /** Interval between repeated unplug requests. */
  retryMs?: number;
  pollMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Hot-plug through virsh (the libvirt binding has no attach-device): live when running, always persistent. */
export class VirshDiskAttacher implements DiskAttacher {
  private readonly exec: Exec;

  constructor(private readonly opts: VirshAttacherOptions) {
    this.exec = opts.exec ?? realExec;
  }

  async attach(domain: string, disk: DiskSpec): Promise<void> {
    if ((await this.targets(domain, false)).includes(disk.device)) return;
    const dir = await mkdtemp(join(tmpdir(), "nimbus-disk-"));
    try {
      const file = join(dir, "disk.xml");
      await writeFile(file, buildVolumeDiskXml(disk));
      await this.virsh(["attach-device", domain, file, "--config", ...((await this.running(domain)) ? ["--live"] : [])]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async detach(domain: string, device: string): Promise<void> {
    const live = await this.running(domain);
    if ((await this.targets(domain, true)).includes(device)) await this.virsh(["detach-disk", domain, device, "--config"]);
    if (!live || !(await this.targets(domain, false)).includes(device)) return;
    // The guest acknowledges the unplug asynchronously (ACPI) and misses requests made while it boots,
    // so the request is repeated, as Nova does, until the disk is gone from the live config.
    const deadline = Date.now() + (this.opts.detachTimeoutMs ?? 45_000);
    const retryMs = this.opts.retryMs ?? 5_000;
    while (Date.now() <= deadline) {
      await this.exec("virsh", ["-q", "-c", this.opts.uri, "detach-disk", domain, device, "--live"], { allowFail: true });
      const retryAt = Math.min(deadline, Date.now() + retryMs);
      while (Date.now() <= retryAt) {
        if (!(await this.targets(domain, false)).includes(device)) return;
        await sleep(this.opts.pollMs ?? 250);
      }
    }
    throw new Error(`the guest of ${domain} did not release ${device} in time`);
  }

  async resize(domain: string, device: string, sizeGb: number): Promise<boolean> {
    if (!(await this.running(domain))) return false;
    // QEMU's block_resize grows the image file itself and the guest's virtio-blk sees the new capacity.
    await this.virsh(["blockresize", domain, device, `${sizeGb}G`]);
    return true;
  }

  async listDisks(domain: string): Promise<Array<{ device: string; path: string }>> {
    const { stdout } = await this.virsh(["domblklist", domain, "--inactive"]);
    return parseDomblklistSources(stdout);
  }

  private async running(domain: string): Promise<boolean> {
    const { stdout } = await this.virsh(["domstate", domain]);
    return stdout.trim() === "running" || stdout.trim() === "paused";
  }

  private async targets(domain: string, inactive: boolean): Promise<string[]> {
    const { stdout } = await this.virsh(["domblklist", domain, ...(inactive ? ["--inactive"] : [])]);
    return parseDomblklist(stdout);
  }

  private virsh(args: string[]) {
    return this.exec("virsh", ["-q", "-c", this.opts.uri, ...args]);
  }
}
