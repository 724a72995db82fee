import { DomainNotFoundError } from "./errors.js";
import type { ComputeDriver, DomainInfo, DomainSpec, DomainState } from "./types.js";

export interface FakeCall {
  method: keyof ComputeDriver;
  args: unknown[];
}

type HostInfo = Awaited<ReturnType<ComputeDriver["hostInfo"]>>;

/** In-memory ComputeDriver for daemon unit tests: same idempotency rules as the real one. */
export class FakeComputeDriver implements ComputeDriver {
  /** Every call, in order. */
  readonly calls: FakeCall[] = [];
  readonly domains = new Map<string, { spec: DomainSpec; state: DomainState }>();
  private nextSpawnError: Error | null = null;
  private readonly info: HostInfo;

  constructor(opts: { hostInfo?: Partial<HostInfo> } = {}) {
    this.info = { vcpus: 4, memoryMb: 8192, hypervisorType: "QEMU", version: "7.2.0", ...opts.hostInfo };
  }

  /** Makes the next spawn throw `err` without defining anything. */
  failNextSpawn(err: Error = new Error("injected spawn failure")): void {
    this.nextSpawnError = err;
  }

  /** Simulates the guest changing state on its own (power-off from inside, crash). */
  setState(name: string, state: DomainState): void {
    this.get(name).state = state;
  }

  async spawn(spec: DomainSpec): Promise<void> {
    this.record("spawn", spec);
    if (this.nextSpawnError) {
      const err = this.nextSpawnError;
      this.nextSpawnError = null;
      throw err;
    }
    const existing = this.domains.get(spec.name);
    if (existing && (existing.state === "running" || existing.state === "paused")) return;
    this.domains.set(spec.name, { spec, state: "running" });
  }

  async start(name: string): Promise<void> {
    this.record("start", name);
    this.get(name).state = "running";
  }

  async stop(name: string, graceSeconds: number): Promise<void> {
    this.record("stop", name, graceSeconds);
    this.get(name).state = "shutoff";
  }

  async reboot(name: string, hard: boolean): Promise<void> {
    this.record("reboot", name, hard);
    this.get(name).state = "running";
  }

  async pause(name: string): Promise<void> {
    this.record("pause", name);
    this.transition(name, ["running", "paused"], "paused");
  }

  async unpause(name: string): Promise<void> {
    this.record("unpause", name);
    this.transition(name, ["paused", "running"], "running");
  }

  async suspend(name: string): Promise<void> {
    this.record("suspend", name);
    this.transition(name, ["running", "paused", "suspended"], "suspended");
  }

  async resume(name: string): Promise<void> {
    this.record("resume", name);
    this.transition(name, ["suspended", "running"], "running");
  }

  async destroy(name: string): Promise<void> {
    this.record("destroy", name);
    this.domains.delete(name);
  }

  async state(name: string): Promise<DomainState | null> {
    this.record("state", name);
    return this.domains.get(name)?.state ?? null;
  }

  async list(): Promise<DomainInfo[]> {
    this.record("list");
    return [...this.domains].map(([name, d]) => ({ name, state: d.state })).sort((a, b) => a.name.localeCompare(b.name));
  }

  async hostInfo(): Promise<HostInfo> {
    this.record("hostInfo");
    return { ...this.info };
  }

  /** Calls of one method, for assertions. */
  callsOf(method: keyof ComputeDriver): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  private record(method: keyof ComputeDriver, ...args: unknown[]): void {
    this.calls.push({ method, args });
  }

  private transition(name: string, from: DomainState[], to: DomainState) {
    const d = this.get(name);
    if (!from.includes(d.state)) throw new Error(`${name} is ${d.state}`);
    d.state = to;
  }

  private get(name: string) {
    const d = this.domains.get(name);
    if (!d) throw new DomainNotFoundError(name);
    return d;
  }
}
