import { eq } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { hosts } from "../db/schema.js";
import { randomSecret, sha256Hex, timingSafeEqual } from "../lib/encoding.js";

/** Creates a host's credentials; the secret is returned once and only its hash is stored. */
export async function enrollHost(db: Db, id: string): Promise<{ id: string; secret: string }> {
  const secret = randomSecret();
  await db.insert(hosts).values({ id, secretHash: await sha256Hex(secret) })
    .onConflictDoUpdate({ target: hosts.id, set: { secretHash: await sha256Hex(secret) } });
  return { id, secret };
}

/** Checks a host's credentials (MQTT CONNECT and HTTP alike). */
export async function verifyHost(db: Db, id: string, secret: string): Promise<boolean> {
  const row = (await db.select({ hash: hosts.secretHash }).from(hosts).where(eq(hosts.id, id)))[0];
  return !!row && timingSafeEqual(row.hash, await sha256Hex(secret));
}
