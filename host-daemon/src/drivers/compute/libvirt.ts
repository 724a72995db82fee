import { mkdir, rename, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hypervisor, type Domain } from "@unraid/libvirt";
import { exec as realExec, type Exec } from "../../exec.js";
import { Revert } from "../../revert.js";
import { buildDomainXml, type DomainType } from "./domain-xml.js";
import { DomainNotFoundError } from "./errors.js";
import { isConnectionLost, isDomainNotFound, isNotRunning, mapState, parseHypervisorVersion } from "./libvirt-util.js";
import type { ComputeDriver, DomainInfo, DomainSpec, DomainState } from "./types.js";

export interface LibvirtComputeOptions {
  /** e.g. qemu:///system, or test:///default for tests. */
  uri: string;
  domainType: DomainType;
  /** Only domains whose name starts with this belong to us. */
  namePrefix: string;
  emulator?: string;
  /** How long a soft reboot waits for the guest to power off before forcing it. */
  rebootGraceSeconds?: number;
  /** Interval between state polls while waiting for a shutdown; at least 200 ms. */
  pollMs?: number;
  /** Runs `virsh version` for hostInfo. */
  exec?: Exec;
  /** Where suspended domains' memory is saved (default: a directory under the OS temp dir). */
  saveDir?: string;
}

const exists = (path: string) => stat(path).then(() => true, () => false);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** ComputeDriver over libvirt via @unraid/libvirt (no event API, so shutdowns are polled). */
export class LibvirtComputeDriver implements ComputeDriver {
  private conn: Promise<Hypervisor> | null = null;
  private version: string | null = null;
  private readonly exec: Exec;
  private readonly pollMs: number;

  constructor(private readonly opts: LibvirtComputeOptions) {
    this.exec = opts.exec ?? realExec;
    this.pollMs = Math.max(200, opts.pollMs ?? 200);
  }

  async spawn(spec: DomainSpec): Promise<void> {
    const xml = buildDomainXml(spec, { domainType: this.opts.domainType, emulator: this.opts.emulator });
    const existing = await this.lookup(spec.name);
    if (existing) {
      const state = await this.stateOf(existing);
      if (state === "running" || state === "paused") return;
      // Redefining an inactive domain replaces its config, so a retry converges on `spec`.
      const dom = await this.call((h) => h.domainDefineXML(xml));
      await dom.create();
      return;
    }
    await Revert.run(async (revert) => {
      const dom = await this.call((h) => h.domainDefineXML(xml));
      revert.add(() => dom.undefine());
      await dom.create();
    });
  }

  async start(name: string): Promise<void> {
    const dom = await this.require(name);
    const state = await this.stateOf(dom);
    if (state === "running") return;
    if (state === "suspended") return this.resume(name);
    if (state === "paused") return dom.resume();
    await dom.create();
  }

  async stop(name: string, graceSeconds: number): Promise<void> {
    const dom = await this.require(name);
    const state = await this.stateOf(dom);
    if (state === "shutoff") return;
    // A paused guest cannot react to ACPI.
    if (state !== "paused") {
      await this.ignoring(isNotRunning, () => dom.shutdown());
      const deadline = Date.now() + graceSeconds * 1000;
      while (Date.now() < deadline) {
        if ((await this.stateOf(dom)) === "shutoff") return;
        await sleep(Math.min(this.pollMs, Math.max(0, deadline - Date.now())));
      }
      if ((await this.stateOf(dom)) === "shutoff") return;
    }
    await this.ignoring(isNotRunning, () => dom.destroy());
  }

  /** The binding has no virDomainReboot: soft = graceful stop then start, hard = power cycle. */
  async reboot(name: string, hard: boolean): Promise<void> {
    const dom = await this.require(name);
    if (hard) {
      if ((await this.stateOf(dom)) !== "shutoff") await this.ignoring(isNotRunning, () => dom.destroy());
    } else {
      await this.stop(name, this.opts.rebootGraceSeconds ?? 60);
    }
    await dom.create();
  }

  async pause(name: string): Promise<void> {
    const dom = await this.require(name);
    const state = await this.stateOf(dom);
    if (state === "paused") return;
    if (state !== "running") throw new Error(`cannot pause ${name}: it is ${state}`);
    await dom.suspend();
  }

  async unpause(name: string): Promise<void> {
    const dom = await this.require(name);
    const state = await this.stateOf(dom);
    if (state === "running") return;
    if (state !== "paused") throw new Error(`cannot unpause ${name}: it is ${state}`);
    await dom.resume();
  }

  /** The binding has no managed save: save to our own file, which marks the domain suspended. */
  async suspend(name: string): Promise<void> {
    const dom = await this.require(name);
    const state = await this.stateOf(dom);
    if (state === "suspended") return;
    if (state !== "running" && state !== "paused") throw new Error(`cannot suspend ${name}: it is ${state}`);
    await mkdir(this.saveDir, { recursive: true, mode: 0o700 });
    const tmp = `${this.savePath(name)}.tmp`;
    await rm(tmp, { force: true });
    await dom.save(tmp);
    await rename(tmp, this.savePath(name));
  }

  async resume(name: string): Promise<void> {
    const dom = await this.require(name);
    const state = await this.stateOf(dom);
    if (state === "running") return;
    if (state !== "suspended") throw new Error(`cannot resume ${name}: it is ${state}`);
    await this.call((h) => h.domainRestore(this.savePath(name)));
    await rm(this.savePath(name), { force: true });
  }

  async destroy(name: string): Promise<void> {
    await rm(this.savePath(name), { force: true });
    const dom = await this.lookup(name);
    if (!dom) return;
    try {
      if ((await this.stateOf(dom)) !== "shutoff") await this.ignoring(isNotRunning, () => dom.destroy());
      await dom.undefine();
    } catch (err) {
      if (!isDomainNotFound(err)) throw err;
    }
  }

  async state(name: string): Promise<DomainState | null> {
    const dom = await this.lookup(name);
    if (!dom) return null;
    try {
      return await this.stateOf(dom);
    } catch (err) {
      if (isDomainNotFound(err)) return null;
      throw err;
    }
  }

  async list(): Promise<DomainInfo[]> {
    const doms = await this.call((h) => h.connectListAllDomains());
    const out: DomainInfo[] = [];
    for (const dom of doms) {
      try {
        const name = await dom.getName();
        if (name.startsWith(this.opts.namePrefix)) out.push({ name, state: await this.stateOf(dom) });
      } catch (err) {
        // Undefined between listing and asking.
        if (!isDomainNotFound(err)) throw err;
      }
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  async hostInfo() {
    const node = await this.call((h) => h.nodeGetInfo());
    // The binding has no virConnectGetVersion.
    if (!this.version) {
      const virsh = await this.exec("virsh", ["-c", this.opts.uri, "version"], { allowFail: true });
      this.version = (virsh.code === 0 ? parseHypervisorVersion(virsh.stdout)?.version : null) ?? null;
    }
    return {
      vcpus: node.cpus,
      // libvirt reports KiB.
      memoryMb: Math.floor(node.memory / 1024),
      hypervisorType: this.opts.domainType === "test" ? "TEST" : "QEMU",
      version: this.version ?? "unknown",
    };
  }

  /** Closes the libvirt connection; the next call opens a new one. */
  async close(): Promise<void> {
    const conn = this.conn;
    this.conn = null;
    if (conn) await (await conn).connectClose().catch(() => undefined);
  }

  private get saveDir() {
    return this.opts.saveDir ?? join(tmpdir(), `nimbus-saved-${this.opts.namePrefix}`);
  }

  private savePath(name: string) {
    return join(this.saveDir, `${name}.save`);
  }

  private async stateOf(dom: Domain): Promise<DomainState> {
    const state = mapState((await dom.getInfo()).state);
    if (state !== "shutoff") return state;
    return (await exists(this.savePath(await dom.getName()))) ? "suspended" : state;
  }

  private async lookup(name: string): Promise<Domain | null> {
    try {
      return await this.call((h) => h.domainLookupByName(name));
    } catch (err) {
      if (isDomainNotFound(err)) return null;
      throw err;
    }
  }

  private async require(name: string): Promise<Domain> {
    const dom = await this.lookup(name);
    if (!dom) throw new DomainNotFoundError(name);
    return dom;
  }

  private async ignoring(pred: (err: unknown) => boolean, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (err) {
      if (!pred(err)) throw err;
    }
  }

  /** Runs `work` on the shared connection, opening it on first use and again after libvirtd restarts. */
  private async call<T>(work: (h: Hypervisor) => Promise<T>): Promise<T> {
    if (!this.conn) {
      const h = new Hypervisor({ uri: this.opts.uri });
      const opening = h.connectOpen().then(() => h);
      this.conn = opening;
      opening.catch(() => {
        if (this.conn === opening) this.conn = null;
      });
    }
    try {
      return await work(await this.conn);
    } catch (err) {
      if (isConnectionLost(err)) this.conn = null;
      throw err;
    }
  }
}
