import { ApiError } from "../lib/errors.js";
import type { ImageView } from "./views.js";

/** What the caller is: admin, its project, and its membership status on shared images. */
export interface Viewer {
  isAdmin: boolean;
  projectId?: string;
  memberships: Map<string, string>;
}

const SORT_KEYS = new Set(["name", "status", "container_format", "disk_format", "size", "id", "created_at", "updated_at", "visibility", "owner", "min_disk", "min_ram", "virtual_size"]);
const MAX_LIMIT = 1000;
export const DEFAULT_LIMIT = 25;
/** Query keys with their own meaning; any other key filters on an image property. */
const CONTROL = new Set(["limit", "marker", "sort", "sort_key", "sort_dir", "member_status", "visibility", "tag", "size_min", "size_max", "created_at", "updated_at", "os_hidden"]);

type Query = Record<string, string[]>;
const first = (q: Query, k: string) => q[k]?.[0];

/** Glance's default listing: own, public and accepted shared images; community only when asked for. */
function visibleInList(img: ImageView, v: Viewer, visibility: string | undefined, memberStatus: string): boolean {
  if (visibility && visibility !== "all" && img.visibility !== visibility) return false;
  const own = v.isAdmin || img.owner === v.projectId;
  const membership = v.memberships.get(img.id);
  const memberOk = membership !== undefined && (memberStatus === "all" || membership === memberStatus);
  switch (img.visibility) {
    case "public": return true;
    case "community": return own || visibility === "community" || visibility === "all";
    case "shared": return visibility === "shared" && !v.isAdmin ? memberOk || img.owner === v.projectId : own || memberOk;
    default: return own;
  }
}

/** Comparison filters of the form `gte:2020-01-01T00:00:00Z` (bare values mean eq). */
function compareOk(actual: string, spec: string): boolean {
  const m = /^(gt|gte|lt|lte|eq|neq):(.*)$/.exec(spec);
  const [op, value] = m ? [m[1], m[2]] : ["eq", spec];
  const a = Date.parse(actual), b = Date.parse(value);
  if (Number.isNaN(b)) throw new ApiError(400, `Invalid time format for ${spec}.`);
  return { gt: a > b, gte: a >= b, lt: a < b, lte: a <= b, eq: a === b, neq: a !== b }[op as "eq"];
}

function valueMatches(actual: unknown, wanted: string): boolean {
  const options = wanted.startsWith("in:") ? wanted.slice(3).split(",") : [wanted];
  return options.includes(actual === null || actual === undefined ? "" : String(actual));
}

function intParam(q: Query, k: string): number | undefined {
  const s = first(q, k);
  if (s === undefined) return undefined;
  if (!/^\d+$/.test(s)) throw new ApiError(400, `${k} param must be a non-negative integer.`);
  return Number(s);
}

function matches(img: ImageView, q: Query): boolean {
  const sizeMin = intParam(q, "size_min"), sizeMax = intParam(q, "size_max");
  if (sizeMin !== undefined && (img.size === null || img.size < sizeMin)) return false;
  if (sizeMax !== undefined && (img.size === null || img.size > sizeMax)) return false;
  if (!(q.tag ?? []).every((t) => img.tags.includes(t))) return false;
  for (const k of ["created_at", "updated_at"] as const) if (first(q, k) && !compareOk(img[k], first(q, k)!)) return false;
  const hidden = first(q, "os_hidden");
  if (String(img.os_hidden) !== (hidden ?? "false")) return false;
  return Object.entries(q).filter(([k]) => !CONTROL.has(k)).every(([k, vals]) => vals.every((w) => valueMatches((img as Record<string, unknown>)[k], w)));
}

/** Sort keys from `sort=name:asc,size` or `sort_key`/`sort_dir` (repeatable); created_at desc by default. */
export function sortSpec(q: Query): Array<[string, 1 | -1]> {
  const dir = (d: string | undefined): 1 | -1 => {
    if (d === undefined || d === "desc") return -1;
    if (d === "asc") return 1;
    throw new ApiError(400, `Invalid sort direction: ${d}`);
  };
  let spec: Array<[string, 1 | -1]>;
  if (first(q, "sort")) {
    if (q.sort_key || q.sort_dir) throw new ApiError(400, "The 'sort' parameter cannot be combined with sort_key or sort_dir.");
    spec = first(q, "sort")!.split(",").map((part) => {
      const [k, d] = part.trim().split(":");
      return [k, dir(d)];
    });
  } else {
    const keys = q.sort_key ?? ["created_at"];
    const dirs = q.sort_dir ?? [];
    spec = keys.map((k, i) => [k, dir(dirs[i] ?? dirs[0])]);
  }
  for (const [k] of spec) if (!SORT_KEYS.has(k)) throw new ApiError(400, `Invalid sort key: ${k}.`);
  if (!spec.some(([k]) => k === "id")) spec.push(["id", spec[0]?.[1] ?? -1]);
  return spec;
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  return a < b ? -1 : 1;
}

/** One page of a Glance image listing: filters, visibility rules, sorting, limit/marker and `next`. */
export function listImages(all: ImageView[], v: Viewer, q: Query): { images: ImageView[]; next?: string } {
  const visibility = first(q, "visibility");
  if (visibility && !["public", "private", "shared", "community", "all"].includes(visibility)) throw new ApiError(400, `Invalid visibility value: ${visibility}`);
  const memberStatus = first(q, "member_status") ?? "accepted";
  if (!["accepted", "pending", "rejected", "all"].includes(memberStatus)) throw new ApiError(400, `Invalid status value: ${memberStatus}`);
  const limit = Math.min(intParam(q, "limit") ?? DEFAULT_LIMIT, MAX_LIMIT);
  const spec = sortSpec(q);
  const rows = all.filter((img) => visibleInList(img, v, visibility, memberStatus) && matches(img, q));
  rows.sort((a, b) => {
    for (const [k, d] of spec) {
      const c = compare((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]);
      if (c) return c * d;
    }
    return 0;
  });
  const marker = first(q, "marker");
  let start = 0;
  if (marker) {
    start = rows.findIndex((r) => r.id === marker) + 1;
    if (start === 0) throw new ApiError(400, `marker ${marker} could not be found.`);
  }
  const page = rows.slice(start, start + limit);
  if (start + limit >= rows.length || page.length === 0) return { images: page };
  const params = new URLSearchParams();
  for (const [k, vals] of Object.entries(q)) if (k !== "marker") for (const val of vals) params.append(k, val);
  params.set("marker", page[page.length - 1].id);
  return { images: page, next: `/v2/images?${params.toString()}` };
}
