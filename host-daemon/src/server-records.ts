import { mkdir, readdir, readFile, rm, writeFile, rename } from "node:fs/promises";
import { join } from "node:path";
import type { GuestConfig, PortSpec } from "#shared";

/** What the host remembers of each server it built, so it can clean up without the edge's help. */
export interface ServerRecords {
  save(serverId: string, ports: PortSpec[], guest?: GuestConfig & { name: string }): Promise<void>;
  ports(serverId: string): Promise<PortSpec[]>;
  /** What the metadata service tells this guest; null for servers built without it. */
  guest?(serverId: string): Promise<(GuestConfig & { name: string }) | null>;
  /** Ids of every recorded server. */
  list?(): Promise<string[]>;
  remove(serverId: string): Promise<void>;
}

export class FileServerRecords implements ServerRecords {
  constructor(private readonly dir: string) {}

  private path(serverId: string) {
    if (!/^[A-Za-z0-9-]+$/.test(serverId)) throw new Error(`invalid server id ${serverId}`);
    return join(this.dir, `${serverId}.json`);
  }

  async save(serverId: string, ports: PortSpec[], guest?: GuestConfig & { name: string }): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.path(serverId)}.tmp`;
    await writeFile(tmp, JSON.stringify({ ports, guest }), { mode: 0o600 });
    await rename(tmp, this.path(serverId));
  }

  private async read(serverId: string): Promise<{ ports: PortSpec[]; guest?: GuestConfig & { name: string } } | null> {
    try {
      return JSON.parse(await readFile(this.path(serverId), "utf8"));
    } catch {
      return null;
    }
  }

  async ports(serverId: string): Promise<PortSpec[]> {
    return (await this.read(serverId))?.ports ?? [];
  }

  async guest(serverId: string) {
    return (await this.read(serverId))?.guest ?? null;
  }

  async list(): Promise<string[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    return names.filter((n) => n.endsWith(".json")).map((n) => n.slice(0, -5));
  }

  async remove(serverId: string): Promise<void> {
    await rm(this.path(serverId), { force: true });
  }
}

/** In-memory records for unit tests. */
export class MemoryServerRecords implements ServerRecords {
  readonly byServer = new Map<string, PortSpec[]>();
  readonly guests = new Map<string, GuestConfig & { name: string }>();
  async save(serverId: string, ports: PortSpec[], guest?: GuestConfig & { name: string }) {
    this.byServer.set(serverId, ports);
    if (guest) this.guests.set(serverId, guest);
  }
  async ports(serverId: string) { return this.byServer.get(serverId) ?? []; }
  async guest(serverId: string) { return this.guests.get(serverId) ?? null; }
  async list() { return [...this.byServer.keys()]; }
  async remove(serverId: string) { this.byServer.delete(serverId); this.guests.delete(serverId); }
}
