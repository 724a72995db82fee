import type { Context } from "hono";
import type { AppEnv } from "../lib/context.js";
import { badRequest } from "../lib/errors.js";
import { filterByQuery, selectFields } from "../lib/filters.js";
import { publicBase } from "../lib/urls.js";

type View = Record<string, unknown>;
const CONTROL = ["fields", "limit", "marker", "sort_key", "sort_dir", "page_reverse"];

const compare = (a: unknown, b: unknown) => {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  return a < b ? -1 : 1;
};

/** Neutron's sorting: repeated sort_key/sort_dir pairs, id as the final tie-break. */
export function sortViews<T extends View>(items: T[], keys: string[], dirs: string[]): T[] {
  for (const d of dirs) if (d !== "asc" && d !== "desc") throw badRequest(`${d} is an invalid value for sort_dir.`);
  const order = keys.map((k, i) => ({ k, desc: dirs[i] === "desc" }));
  for (const { k } of order) if (items.length && !(k in items[0])) throw badRequest(`${k} is an invalid attribute for sort_keys.`);
  return [...items].sort((a, b) => {
    for (const { k, desc } of order) {
      const r = compare(a[k], b[k]);
      if (r) return desc ? -r : r;
    }
    return compare(a.id, b.id);
  });
}

/** One page after `marker` (or before it when page_reverse), and whether more follow. */
export function paginate<T extends View>(items: T[], limit: number | undefined, marker: string | undefined, reverse: boolean) {
  let start = 0;
  let end = items.length;
  if (marker) {
    const at = items.findIndex((i) => i.id === marker);
    if (reverse) end = at >= 0 ? at : items.length;
    else start = at >= 0 ? at + 1 : 0;
  }
  if (limit === undefined) return { page: items.slice(start, end), more: false, before: start > 0 };
  if (reverse) {
    const from = Math.max(start, end - limit);
    return { page: items.slice(from, end), more: from > start, before: true };
  }
  return { page: items.slice(start, start + limit), more: start + limit < end, before: start > 0 };
}

/** Filters, sorts, pages and projects a collection the way neutron-server lists it. */
export function listResponse(c: Context<AppEnv>, collection: string, views: View[]) {
  // Booleans arrive as True/False; views hold true/false.
  const query = Object.fromEntries(Object.entries(c.req.queries()).map(([k, vs]) => [k, vs.map((v) => (/^(true|false)$/i.test(v) ? v.toLowerCase() : v))]));
  const filtered = filterByQuery(views, query, CONTROL);
  const sorted = sortViews(filtered, c.req.queries("sort_key") ?? [], c.req.queries("sort_dir") ?? []);
  const rawLimit = c.req.query("limit");
  const limit = rawLimit === undefined ? undefined : Number(rawLimit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw badRequest(`Invalid input for limit: ${rawLimit}.`);
  const reverse = c.req.query("page_reverse") === "True" || c.req.query("page_reverse") === "true";
  const { page, more, before } = paginate(sorted, limit || undefined, c.req.query("marker"), reverse);
  const fields = c.req.queries("fields");
  const body: Record<string, unknown> = { [collection]: page.map((v) => selectFields(v, fields)) };
  if (limit) {
    const links = [];
    const link = (rel: string, marker: unknown, rev: boolean) => {
      const url = new URL(`${publicBase(c)}/network/v2.0/${collection}`);
      for (const [k, vs] of Object.entries(query)) if (k !== "marker" && k !== "page_reverse") for (const v of vs) url.searchParams.append(k, v);
      url.searchParams.set("marker", String(marker));
      if (rev) url.searchParams.set("page_reverse", "True");
      return { rel, href: url.toString() };
    };
    if ((reverse ? before : more) && page.length) links.push(link("next", page[page.length - 1].id, false));
    if ((reverse ? more : before) && page.length) links.push(link("previous", page[0].id, true));
    if (links.length) body[`${collection}_links`] = links;
  }
  return body;
}
