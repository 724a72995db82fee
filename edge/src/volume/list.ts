/**
 * Cinder list semantics on view-like records, pure: exact-match filters (metadata as a JSON
 * object that must be contained), `sort=key:dir,…` (or sort_key/sort_dir), marker and limit.
 */
export interface Listable {
  id: string;
  created_at: string;
  [key: string]: unknown;
}

/** A bad list request; `status` 404 for an unknown marker (Cinder's MarkerNotFound), else 400. */
export class ListError extends Error {
  constructor(message: string, readonly status: 400 | 404 = 400) {
    super(message);
  }
}

/** Old names clients still send as sort keys. */
const SORT_ALIASES: Record<string, string> = { display_name: "name", display_description: "description" };

const SORT_KEYS = ["id", "name", "status", "size", "created_at", "updated_at", "availability_zone", "bootable", "volume_id"];

export interface ListQuery { [k: string]: string | undefined }

export function parseSort(q: ListQuery): Array<{ key: string; dir: "asc" | "desc" }> {
  const raw = q.sort ?? (q.sort_key ? `${q.sort_key}:${q.sort_dir ?? "desc"}` : "created_at:desc");
  return raw.split(",").filter(Boolean).map((part) => {
    const [raw, dir = "desc"] = part.split(":").map((s) => s.trim());
    const key = raw ? (SORT_ALIASES[raw] ?? raw) : raw;
    if (!key || !SORT_KEYS.includes(key)) throw new ListError(`Invalid input received: Invalid sort key ${key}`);
    if (dir !== "asc" && dir !== "desc") throw new ListError(`Invalid input received: Invalid sort direction ${dir}`);
    return { key, dir };
  });
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b));
}

/** Applies filters (`filterKeys` are the ones this collection understands), sort, marker and limit. */
export function selectPage<T extends Listable>(items: T[], q: ListQuery, filterKeys: string[]): { page: T[]; more: boolean } {
  const sort = parseSort(q);
  let out = [...items].sort((a, b) => {
    for (const { key, dir } of sort) {
      const c = compare(a[key], b[key]);
      if (c !== 0) return dir === "asc" ? c : -c;
    }
    return compare(a.id, b.id);
  });
  // As in Cinder, the marker is any visible item, whether or not it passes the filters.
  if (q.marker !== undefined) {
    const at = out.findIndex((i) => i.id === q.marker);
    if (at < 0) throw new ListError(`Marker ${q.marker} could not be found.`, 404);
    out = out.slice(at + 1);
  }
  out = out.filter((i) => filterKeys.every((key) => q[key] === undefined || matches(i, key, q[key]!)));
  let limit: number | undefined;
  if (q.limit !== undefined) {
    if (!/^\d+$/.test(q.limit)) throw new ListError(`Invalid input received: limit must be a non-negative integer, not ${q.limit}`);
    limit = Number(q.limit);
  }
  if (q.offset !== undefined) {
    if (!/^\d+$/.test(q.offset)) throw new ListError(`Invalid input received: offset must be a non-negative integer, not ${q.offset}`);
    out = out.slice(Number(q.offset));
  }
  if (limit === undefined) return { page: out, more: false };
  // Like Cinder, a full page links to the next one (which may turn out empty).
  const page = out.slice(0, limit);
  return { page, more: limit > 0 && page.length === limit };
}

function matches(item: Listable, key: string, wanted: string): boolean {
  if (key === "metadata") {
    let meta: Record<string, unknown>;
    try {
      meta = JSON.parse(wanted.replace(/'/g, '"')) as Record<string, unknown>;
    } catch {
      throw new ListError(`Invalid input received: metadata filter must be a JSON object, not ${wanted}`);
    }
    return Object.entries(meta).every(([k, v]) => (item.metadata as Record<string, unknown> | undefined)?.[k] === String(v));
  }
  if (key === "bootable") return item.bootable === (["true", "1", "yes"].includes(wanted.toLowerCase()) ? "true" : "false");
  return String(item[key] ?? "") === wanted;
}
