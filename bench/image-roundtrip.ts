/**
 * Image data round trip (opt-in, not part of `npm run bench`): a sparse image of BENCH_IMAGE_MB
 * (default 1024) is uploaded to the Node edge with curl, its checksum compared with md5sum's, then
 * downloaded and hashed again. curl is the client, so this process's peak RSS is the edge's own.
 *
 *   npx tsx bench/image-roundtrip.ts
 */
import { execFile } from "node:child_process";
import { open, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { startBenchEdge } from "./edge.js";

const run = promisify(execFile);
const mb = Number(process.env.BENCH_IMAGE_MB ?? 1024);
const sh = async (cmd: string) => (await run("bash", ["-c", cmd], { maxBuffer: 1 << 20 })).stdout.trim();

const b = await startBenchEdge();
const file = join(b.stateDir, "sparse.img");
try {
  const fh = await open(file, "w");
  await fh.truncate(mb * 1024 * 1024);
  await fh.close();
  const expected = (await sh(`md5sum ${file}`)).split(" ")[0];

  const login = await fetch(`${b.publicUrl}/identity/v3/auth/tokens`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ auth: { identity: { methods: ["password"], password: { user: { name: "demo", domain: { name: "Default" }, password: b.passwords.demo } } }, scope: { project: { name: "demo", domain: { name: "Default" } } } } }),
  });
  const token = login.headers.get("X-Subject-Token")!;
  const api = `${b.publicUrl}/image/v2/images`;
  const created = await (await fetch(api, { method: "POST", headers: { "X-Auth-Token": token, "Content-Type": "application/json" }, body: JSON.stringify({ name: "big", disk_format: "raw", container_format: "bare" }) })).json();

  const t0 = performance.now();
  const status = await sh(`curl -sS -o /dev/null -w '%{http_code}' -X PUT -H 'X-Auth-Token: ${token}' -H 'Content-Type: application/octet-stream' -T ${file} ${api}/${created.id}/file`);
  const upS = (performance.now() - t0) / 1000;
  const shown = await (await fetch(`${api}/${created.id}`, { headers: { "X-Auth-Token": token } })).json();

  const t1 = performance.now();
  const downloaded = (await sh(`curl -sS -H 'X-Auth-Token: ${token}' ${api}/${created.id}/file | md5sum`)).split(" ")[0];
  const downS = (performance.now() - t1) / 1000;

  const ok = status === "204" && shown.status === "active" && shown.size === mb * 1024 * 1024 && shown.checksum === expected && downloaded === expected;
  console.log(`image round trip, ${mb} MiB sparse file`);
  console.log(`  upload   HTTP ${status} in ${upS.toFixed(1)} s (${(mb / upS).toFixed(0)} MiB/s); status ${shown.status}, size ${shown.size}`);
  console.log(`  download in ${downS.toFixed(1)} s (${(mb / downS).toFixed(0)} MiB/s)`);
  console.log(`  md5 local ${expected}, edge ${shown.checksum}, downloaded ${downloaded}: ${ok ? "match" : "MISMATCH"}`);
  console.log(`  edge peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
  process.exitCode = ok ? 0 : 1;
} finally {
  await rm(file, { force: true });
  await b.edge.close();
  await b.removeState();
}
process.exit();
