/**
 * OpenStack list filtering on view objects: every query parameter that names a top-level scalar
 * field must match (repeated parameters match any of their values). Unknown parameters are ignored,
 * as the services do for keys they do not filter on.
 */
export function filterByQuery<T extends Record<string, unknown>>(items: T[], query: Record<string, string[]>, ignore: string[] = []): T[] {
  const active = Object.entries(query).filter(([k]) => !ignore.includes(k));
  return items.filter((item) =>
    active.every(([key, wanted]) => {
      if (!(key in item)) return true;
      const v = item[key];
      if (v !== null && typeof v === "object") return true;
      return wanted.includes(String(v));
    }),
  );
}

/** Neutron's `fields=` projection. */
export function selectFields<T extends Record<string, unknown>>(item: T, fields: string[] | undefined): Partial<T> {
  if (!fields || fields.length === 0) return item;
  return Object.fromEntries(Object.entries(item).filter(([k]) => fields.includes(k))) as Partial<T>;
}
