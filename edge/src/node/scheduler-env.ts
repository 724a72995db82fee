import type { Config } from "../lib/context.js";

/**
 * Scheduler settings from the environment: NIMBUS_CPU_ALLOCATION_RATIO, NIMBUS_RAM_ALLOCATION_RATIO,
 * NIMBUS_DISK_ALLOCATION_RATIO (positive numbers) and NIMBUS_SCHEDULER_WEIGHER (spread or pack).
 */
export function schedulerFromEnv(env: Record<string, string | undefined>): NonNullable<Config["scheduler"]> {
  const ratio = (name: string) => {
    const raw = env[name];
    if (raw === undefined || raw === "") return undefined;
    const n = Number(raw);
    if (!(n > 0)) throw new Error(`${name} must be a positive number, not ${raw}`);
    return n;
  };
  const weigher = env.NIMBUS_SCHEDULER_WEIGHER;
  if (weigher && weigher !== "spread" && weigher !== "pack") throw new Error(`NIMBUS_SCHEDULER_WEIGHER must be spread or pack, not ${weigher}`);
  const out: NonNullable<Config["scheduler"]> = {};
  const cpu = ratio("NIMBUS_CPU_ALLOCATION_RATIO"), ram = ratio("NIMBUS_RAM_ALLOCATION_RATIO"), disk = ratio("NIMBUS_DISK_ALLOCATION_RATIO");
  if (cpu) out.cpuAllocationRatio = cpu;
  if (ram) out.ramAllocationRatio = ram;
  if (disk) out.diskAllocationRatio = disk;
  if (weigher === "spread" || weigher === "pack") out.weigher = weigher;
  return out;
}
