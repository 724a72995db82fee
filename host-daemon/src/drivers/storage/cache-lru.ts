/** One cached base image as the eviction policy sees it. */
export interface CacheEntry {
  id: string;
  bytes: number;
  /** Last time a server was built from it (ms since the epoch). */
  lastUsed: number;
  /** A server's disk still has it as its backing file, or a download or build is using it now. */
  inUse: boolean;
}

/**
 * Least-recently-used eviction: the ids to delete, oldest first, so the cache fits in `capBytes`.
 * Images in use are never chosen, so the cache may stay above the cap while they are needed.
 */
export function pickEvictions(entries: CacheEntry[], capBytes: number): string[] {
  let total = entries.reduce((sum, e) => sum + e.bytes, 0);
  const evict: string[] = [];
  const candidates = entries.filter((e) => !e.inUse).sort((a, b) => a.lastUsed - b.lastUsed || a.id.localeCompare(b.id));
  for (const e of candidates) {
    if (total <= capBytes) break;
    evict.push(e.id);
    total -= e.bytes;
  }
  return evict;
}
