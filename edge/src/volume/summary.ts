import { and, eq, isNull } from "drizzle-orm";
import type { Hono } from "hono";
import { volumes } from "../db/schema.js";
import { callerProject, reader } from "../lib/auth.js";
import type { AppEnv } from "../lib/context.js";
import { ApiError } from "../lib/errors.js";
import { allTenants } from "./common.js";
import { negotiateVolumeVersion, volumeVersionAtLeast } from "./microversion.js";

/** Pure: Cinder's volume summary (3.12), with the metadata values seen per key from 3.36. */
export function summarize(rows: Array<{ size: number; metadata: Record<string, string> | null }>, withMetadata: boolean) {
  const metadata: Record<string, string[]> = {};
  for (const r of rows) {
    for (const [k, v] of Object.entries(r.metadata ?? {})) if (!(metadata[k] ??= []).includes(v)) metadata[k].push(v);
  }
  return { total_size: rows.reduce((n, r) => n + r.size, 0), total_count: rows.length, ...(withMetadata ? { metadata } : {}) };
}

/** GET /volumes/summary from 3.12; below, `summary` is just a volume id that does not exist (404). */
export function registerSummaryRoute(app: Hono<AppEnv>, path: string) {
  app.get(`${path}/summary`, reader(), async (c) => {
    const version = negotiateVolumeVersion(c.req.header("OpenStack-API-Version"));
    if (!volumeVersionAtLeast(version, "3.12")) throw new ApiError(404, "Volume summary could not be found.");
    const scope = allTenants(c) ? undefined : eq(volumes.projectId, callerProject(c));
    const rows = await c.var.deps.db.select({ size: volumes.size, metadata: volumes.metadata }).from(volumes).where(and(isNull(volumes.deletedAt), scope));
    return c.json({ "volume-summary": summarize(rows, volumeVersionAtLeast(version, "3.36")) });
  });
}
