import type { flavors } from "../db/schema.js";

type FlavorRow = (typeof flavors)["$inferSelect"];

/**
 * Nova's flavor listing: minRam/minDisk/is_public filters (public means public or shared with the caller's project), sort by flavorid (or sort_key),
 * then marker and limit. Pure, so the paging rules are tested without a database.
 */
export function selectFlavors(rows: FlavorRow[], q: Record<string, string | undefined>, isAdmin: boolean, accessible: ReadonlySet<string> = new Set()): FlavorRow[] {
  const minRam = Number(q.minRam ?? 0);
  const minDisk = Number(q.minDisk ?? 0);
  const raw = (q.is_public ?? "true").toLowerCase();
  // oslo's bool_from_string spellings.
  const isPublic = ["f", "false", "off", "n", "no", "0"].includes(raw) ? "false" : raw === "none" ? "none" : "true";
  let out = rows.filter((f) => f.ramMb >= minRam && f.diskGb >= minDisk);
  if (isPublic !== "none" || !isAdmin) out = out.filter((f) => (isPublic === "false" && isAdmin ? !f.isPublic : f.isPublic || accessible.has(f.id)));
  const key = (q.sort_key ?? "flavorid") as string;
  const value = (f: FlavorRow): string | number =>
    key === "memory_mb" ? f.ramMb : key === "vcpus" ? f.vcpus : key === "root_gb" ? f.diskGb : key === "name" ? f.name : f.id;
  const dir = q.sort_dir === "desc" ? -1 : 1;
  out = [...out].sort((a, b) => (value(a) < value(b) ? -dir : value(a) > value(b) ? dir : 0));
  if (q.marker) {
    const at = out.findIndex((f) => f.id === q.marker);
    if (at === -1) throw new RangeError(`marker [${q.marker}] not found`);
    out = out.slice(at + 1);
  }
  const limit = q.limit === undefined ? undefined : Number(q.limit);
  return limit === undefined || Number.isNaN(limit) ? out : out.slice(0, limit);
}
