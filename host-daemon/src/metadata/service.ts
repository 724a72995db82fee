import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { bridgeName, type GuestIdentity } from "#shared";
import { exec as realExec, type Exec } from "../exec.js";
import { SerialQueue } from "../serial-queue.js";
import type { ServerRecords } from "../server-records.js";
import { metadataAnswer } from "./answer.js";
import { markOf, METADATA_IP, metadataRuleset, parseArp, type MetadataBinding } from "./ruleset.js";

export interface MetadataServiceOptions {
  records: ServerRecords;
  /** nft table of this daemon (unique per daemon on a machine). */
  table: string;
  exec?: Exec;
  /** Neighbour table text (/proc/net/arp format); replaceable in tests. */
  readArp?: () => Promise<string>;
  log?: (msg: string) => void;
}

/**
 * The metadata service at 169.254.169.254 for guests on this host's tenant bridges. Each bridge
 * gets the address and its own HTTP listener; a request is answered only for the server whose
 * recorded port on that bridge has the caller's IP and MAC.
 */
export class MetadataService {
  private readonly listeners = new Map<string, { server: Server; binding: MetadataBinding }>();
  private readonly queue = new SerialQueue();
  private readonly exec: Exec;
  private readonly readArp: () => Promise<string>;

  constructor(private readonly o: MetadataServiceOptions) {
    this.exec = o.exec ?? realExec;
    this.readArp = o.readArp ?? (() => readFile("/proc/net/arp", "utf8"));
  }

  /** Converges listeners, addresses, nft rules and routes on the bridges the records use. */
  sync(): Promise<void> {
    return this.queue.run("sync", () => this.converge());
  }

  /** Removes everything this service set up. */
  close(): Promise<void> {
    return this.queue.run("sync", async () => {
      for (const bridge of [...this.listeners.keys()]) await this.unbind(bridge);
      await this.applyRules();
    });
  }

  private async wantedBridges(): Promise<Set<string>> {
    const ids = (await this.o.records.list?.()) ?? [];
    const bridges = new Set<string>();
    for (const id of ids) for (const p of await this.o.records.ports(id)) bridges.add(bridgeName(p.networkId));
    return bridges;
  }

  private async converge() {
    const wanted = await this.wantedBridges();
    for (const bridge of [...this.listeners.keys()]) if (!wanted.has(bridge)) await this.unbind(bridge);
    for (const bridge of wanted) {
      try {
        // Every time: the network driver may have recreated the bridge, losing address and route.
        await this.exec("ip", ["addr", "replace", `${METADATA_IP}/32`, "dev", bridge]);
        const binding = this.listeners.get(bridge)?.binding ?? (await this.listen(bridge));
        const mark = String(markOf(binding));
        await this.exec("ip", ["rule", "del", "fwmark", mark, "lookup", mark], { allowFail: true });
        await this.exec("ip", ["rule", "add", "fwmark", mark, "lookup", mark]);
        await this.exec("ip", ["route", "replace", "default", "dev", bridge, "table", mark]);
      } catch (err) {
        this.o.log?.(`metadata: cannot serve bridge ${bridge}: ${(err as Error).message}`);
      }
    }
    await this.applyRules();
  }

  /** Starts the bridge's own listener on an ephemeral port of the metadata address. */
  private async listen(bridge: string): Promise<MetadataBinding> {
    const server = createServer((req, res) => {
      this.identify(bridge, req.socket.remoteAddress ?? "").then((guest) => {
        const a = guest ? metadataAnswer(req.url ?? "/", guest) : { status: 404, body: "404 Not Found\n", contentType: "text/plain" };
        res.writeHead(req.method === "GET" || req.method === "HEAD" ? a.status : 405, { "Content-Type": a.contentType });
        res.end(req.method === "HEAD" ? undefined : a.body);
      }, (err: Error) => {
        this.o.log?.(`metadata: ${err.message}`);
        res.writeHead(500).end();
      });
    });
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, METADATA_IP, () => resolve()));
    const binding = { bridge, port: (server.address() as AddressInfo).port };
    this.listeners.set(bridge, { server, binding });
    return binding;
  }

  private async unbind(bridge: string) {
    const l = this.listeners.get(bridge);
    if (!l) return;
    this.listeners.delete(bridge);
    // close() alone waits for every open connection, and a guest that vanished mid-request may
    // never end its own: that would stall every later sync (and the deletes waiting on it).
    const closed = new Promise<void>((resolve) => l.server.close(() => resolve()));
    l.server.closeAllConnections();
    await closed;
    const mark = String(markOf(l.binding));
    await this.exec("ip", ["rule", "del", "fwmark", mark, "lookup", mark], { allowFail: true });
    await this.exec("ip", ["route", "flush", "table", mark], { allowFail: true });
    await this.exec("ip", ["addr", "del", `${METADATA_IP}/32`, "dev", bridge], { allowFail: true });
  }

  private async applyRules() {
    const script = metadataRuleset(this.o.table, [...this.listeners.values()].map((l) => l.binding));
    const dir = await mkdtemp(join(tmpdir(), "nimbus-md-"));
    try {
      await writeFile(join(dir, "rules.nft"), script);
      await this.exec("nft", ["-f", join(dir, "rules.nft")]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** The server on `bridge` whose port has IP `remote` and, per the neighbour table, its MAC. */
  private async identify(bridge: string, remote: string): Promise<GuestIdentity | null> {
    const ip = remote.replace(/^::ffff:/, "");
    const macSeen = parseArp(await this.readArp()).get(`${ip}@${bridge}`);
    for (const id of (await this.o.records.list?.()) ?? []) {
      const ports = await this.o.records.ports(id);
      const port = ports.find((p) => bridgeName(p.networkId) === bridge && p.ip === ip);
      if (!port) continue;
      if (macSeen !== port.mac) return null;
      const guest = await this.o.records.guest?.(id);
      return guest ? { serverId: id, name: guest.name, ports, config: guest } : null;
    }
    return null;
  }
}
