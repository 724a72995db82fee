import { percentile } from "./stats.js";

export interface LoadResult {
  name: string;
  concurrency: number;
  seconds: number;
  ok: number;
  errors: number;
  firstError?: string;
  rps: number;
  p50: number;
  p99: number;
}

/**
 * Runs `op` from `concurrency` workers until `seconds` have passed (or `maxOps` were started),
 * recording each latency. `op` resolves true for a good answer, false (or throws) for an error.
 */
export async function runFor(name: string, seconds: number, concurrency: number, op: () => Promise<boolean>, maxOps = 1_000_000): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let started = 0;
  let firstError: string | undefined;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end && started < maxOps) {
      started++;
      const s = performance.now();
      let good = false;
      try {
        good = await op();
      } catch (err) {
        firstError ??= (err as Error).message;
      }
      const took = performance.now() - s;
      if (good) latencies.push(took);
      else {
        errors++;
        firstError ??= "unexpected response";
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - t0) / 1000;
  return {
    name, concurrency, seconds: elapsed, ok: latencies.length, errors, firstError,
    rps: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99),
  };
}
