import { readFile } from "node:fs/promises";
import type { Exec } from "../../exec.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts, signals and stops daemonised dnsmasq processes identified by their pid files. */
export class Dnsmasq {
  constructor(private readonly exec: Exec, private readonly procRoot = "/proc") {}

  /**
   * The pid of the live dnsmasq that wrote `pidFile`, with its arguments; null when there is none.
   * The command line must name the same pid file, so a recycled pid is not mistaken for ours.
   */
  async running(pidFile: string): Promise<{ pid: number; args: string[] } | null> {
    const pid = Number.parseInt(await readFile(pidFile, "utf8").catch(() => ""), 10);
    if (!Number.isInteger(pid) || pid <= 0) return null;
    // A zombie has an empty command line, so it does not count as running.
    const cmdline = await readFile(`${this.procRoot}/${pid}/cmdline`, "utf8").catch(() => "");
    const [cmd, ...args] = cmdline.split("\0").filter((a) => a !== "");
    if (!cmd?.endsWith("dnsmasq") || !args.includes(`--pid-file=${pidFile}`)) return null;
    return { pid, args };
  }

  /** dnsmasq forks; it returns once the child is serving, or fails with dnsmasq's own error. */
  async start(args: string[]): Promise<void> {
    await this.exec("dnsmasq", args);
  }

  /** Makes dnsmasq re-read its hosts file. */
  reload(pid: number): void {
    process.kill(pid, "SIGHUP");
  }

  /** SIGTERM, then SIGKILL if it is still there after `graceMs`. */
  async stop(pidFile: string, graceMs = 5000): Promise<void> {
    const proc = await this.running(pidFile);
    if (!proc) return;
    signal(proc.pid, "SIGTERM");
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      if (!(await this.running(pidFile))) return;
      await sleep(50);
    }
    signal(proc.pid, "SIGKILL");
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
  }
}
