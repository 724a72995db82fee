import { mkdir, readFile, rm, writeFile, rename } from "node:fs/promises";
import { join } from "node:path";
import type { PortSpec } from "#shared";

/** What the host remembers of each server it built, so it can clean up without the edge's help. */
export interface ServerRecords {
  save(serverId: string, ports: PortSpec[]): Promise<void>;
  ports(serverId: string): Promise<PortSpec[]>;
  remove(serverId: string): Promise<void>;
}

export class FileServerRecords implements ServerRecords {
  constructor(private readonly dir: string) {}

  private path(serverId: string) {
    if (!/^[A-Za-z0-9-]+$/.test(serverId)) throw new Error(`invalid server id ${serverId}`);
    return join(this.dir, `${serverId}.json`);
  }

  async save(serverId: string, ports: PortSpec[]): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.path(serverId)}.tmp`;
    await writeFile(tmp, JSON.stringify({ ports }), { mode: 0o600 });
    await rename(tmp, this.path(serverId));
  }

  async ports(serverId: string): Promise<PortSpec[]> {
    try {
      return (JSON.parse(await readFile(this.path(serverId), "utf8")) as { ports: PortSpec[] }).ports;
    } catch {
      return [];
    }
  }

  async remove(serverId: string): Promise<void> {
    await rm(this.path(serverId), { force: true });
  }
}

/** In-memory records for unit tests. */
export class MemoryServerRecords implements ServerRecords {
  readonly byServer = new Map<string, PortSpec[]>();
  async save(serverId: string, ports: PortSpec[]) { this.byServer.set(serverId, ports); }
  async ports(serverId: string) { return this.byServer.get(serverId) ?? []; }
  async remove(serverId: string) { this.byServer.delete(serverId); }
}
