import { randomBytes } from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";
import type { PortSpec } from "#shared";

export type PortMap = Record<string, PortSpec>;

/** Reads portId → PortSpec; a missing file is an empty map. */
export async function readPorts(file: string): Promise<PortMap> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as PortMap;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw err;
  }
}

/** Writes a file atomically (temporary file + rename), world-readable. */
export async function writeAtomic(file: string, contents: string): Promise<void> {
  const tmp = `${file}.tmp-${randomBytes(4).toString("hex")}`;
  await writeFile(tmp, contents, { mode: 0o644 });
  await rename(tmp, file);
}

export const writePorts = (file: string, ports: PortMap) => writeAtomic(file, `${JSON.stringify(ports, null, 2)}\n`);
