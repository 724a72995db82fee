import type { ChildProcess } from "node:child_process";

/** Collects a child's stdout and stderr and lets a test await a line in them. */
export function followOutput(proc: ChildProcess, label: string) {
  let log = "";
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
  const onData = (d: Buffer) => {
    log += d.toString();
    for (const w of waiters.splice(0)) (w.pattern.test(log) ? w.resolve() : waiters.push(w));
  };
  proc.stdout!.on("data", onData);
  proc.stderr!.on("data", onData);
  const waitForLog = (pattern: RegExp, timeoutMs = 60_000) => new Promise<void>((resolve, reject) => {
    if (pattern.test(log)) return resolve();
    const timer = setTimeout(() => reject(new Error(`${label}: timed out waiting for ${pattern}; output:\n${log}`)), timeoutMs);
    waiters.push({ pattern, resolve: () => { clearTimeout(timer); resolve(); } });
    proc.once("exit", (code) => reject(new Error(`${label} exited ${code}; output:\n${log}`)));
  });
  return { output: () => log, waitForLog };
}
