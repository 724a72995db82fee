import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { FirewallPort } from "#shared";
import { exec as realExec, type Exec } from "../../exec.js";
import { buildFirewall, removeFirewall } from "./firewall-rules.js";

/** Applies a host's whole firewall with one atomic `nft -f`. */
export class NftFirewall {
  constructor(private readonly opts: { stateDir: string; table: string; exec?: Exec }) {}

  async apply(ports: FirewallPort[]): Promise<void> {
    await this.run(ports.length ? buildFirewall(this.opts.table, ports) : removeFirewall(this.opts.table));
  }

  private async run(script: string) {
    const dir = join(this.opts.stateDir, "firewall");
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${this.opts.table}.nft`);
    await writeFile(file, script);
    const exec = this.opts.exec ?? realExec;
    try {
      await exec("nft", ["-f", file]);
    } finally {
      if (!script.includes("chain")) await rm(file, { force: true });
    }
  }
}
