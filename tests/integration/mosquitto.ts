import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { chmod, copyFile, mkdtemp, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A real Mosquitto on a free loopback port with the project's ACL and a password per user. */
export async function startMosquitto(users: Record<string, string>): Promise<{ url: string; proc: ChildProcess; stop: () => void }> {
  const dir = await mkdtemp(join(tmpdir(), "nimbus-mosq-"));
  await chmod(dir, 0o755); // mosquitto drops root for its own user, which must read the files
  const port = await freePort();
  const passwd = join(dir, "passwd");
  await writeFile(passwd, "");
  for (const [user, pass] of Object.entries(users)) execFileSync("mosquitto_passwd", ["-b", passwd, user, pass]);
  await copyFile(new URL("../../deploy/mosquitto/acl", import.meta.url), join(dir, "acl"));
  await writeFile(join(dir, "mosquitto.conf"), [
    "per_listener_settings false", "allow_anonymous false", `password_file ${passwd}`, `acl_file ${join(dir, "acl")}`,
    `listener ${port} 127.0.0.1`, "persistence false", "log_dest stderr",
  ].join("\n"));
  const proc = spawn("mosquitto", ["-c", join(dir, "mosquitto.conf")], { stdio: ["ignore", "ignore", "pipe"] });
  await new Promise<void>((resolve, reject) => {
    proc.once("exit", (code) => reject(new Error(`mosquitto exited ${code}`)));
    proc.stderr!.on("data", (d: Buffer) => { if (d.toString().includes("running")) resolve(); });
  });
  return { url: `mqtt://127.0.0.1:${port}`, proc, stop: () => proc.kill("SIGTERM") };
}
