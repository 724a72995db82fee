import type { Db } from "../db/client.js";
import { hostServices } from "../db/schema.js";

/** Stores what a host reports about itself (address, architecture, running guests). */
export async function recordService(db: Db, hostId: string, report: { hostIp?: string; arch?: string; runningVms?: number }) {
  const set = { ...report, updatedAt: new Date().toISOString() };
  await db.insert(hostServices).values({ hostId, ...set }).onConflictDoUpdate({ target: hostServices.hostId, set });
}
