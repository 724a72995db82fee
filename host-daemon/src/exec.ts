import { execFile } from "node:child_process";

export interface ExecResult { stdout: string; stderr: string }

/** Runs a program without a shell; rejects with its stderr in the message on non-zero exit. */
export type Exec = (cmd: string, args: string[], opts?: { allowFail?: boolean }) => Promise<ExecResult & { code: number }>;

export const exec: Exec = (cmd, args, opts = {}) =>
  new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === "number" ? Number((err as NodeJS.ErrnoException).code) : 1) : 0;
      if (err && !opts.allowFail) {
        reject(new Error(`${cmd} ${args.join(" ")} failed (${code}): ${stderr.trim() || err.message}`));
        return;
      }
      resolve({ stdout, stderr, code });
    });
  });
