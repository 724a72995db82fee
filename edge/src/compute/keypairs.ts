import { and, eq, sql } from "drizzle-orm";
import type { Hono } from "hono";
import { z } from "zod";
import type { Db } from "../db/client.js";
import { keypairs } from "../db/schema.js";
import { member, reader } from "../lib/auth.js";
import type { AppEnv } from "../lib/context.js";
import { ApiError, readJson } from "../lib/errors.js";
import { enforceKeypairQuota } from "./quotas.js";
import { fingerprint, generateRsaKeypair, parsePublicKey } from "./ssh-keys.js";

const createBody = z.object({
  keypair: z.object({
    // Nova 2.1 allows letters, digits, spaces, underscores and hyphens.
    name: z.string().trim().min(1).max(255).regex(/^[A-Za-z0-9 _-]+$/, "Keypair name contains unsafe characters"),
    public_key: z.string().optional(),
  }),
});

const stamp = (s: string) => s.replace(/Z$/, "").replace(/(\.\d{6})\d*$/, "$1");

export async function findKeypair(db: Db, userId: string, name: string) {
  const row = (await db.select({ kp: keypairs, rowid: sql<number>`rowid` }).from(keypairs).where(and(eq(keypairs.userId, userId), eq(keypairs.name, name))))[0];
  if (!row) throw new ApiError(404, `Keypair ${name} not found for user ${userId}`);
  return row;
}

/** Nova's os-keypairs at 2.1: keypairs belong to the calling user; generated keys are RSA. */
export function registerKeypairRoutes(app: Hono<AppEnv>) {
  app.get("/v2.1/os-keypairs", reader(), async (c) => {
    const rows = await c.var.deps.db.select().from(keypairs).where(eq(keypairs.userId, c.var.auth.userId)).orderBy(keypairs.name);
    return c.json({ keypairs: rows.map((k) => ({ keypair: { name: k.name, public_key: k.publicKey, fingerprint: k.fingerprint } })) });
  });

  app.get("/v2.1/os-keypairs/:name", reader(), async (c) => {
    const { kp, rowid } = await findKeypair(c.var.deps.db, c.var.auth.userId, c.req.param("name"));
    return c.json({ keypair: {
      id: Number(rowid), name: kp.name, public_key: kp.publicKey, fingerprint: kp.fingerprint, user_id: kp.userId,
      deleted: false, created_at: stamp(kp.createdAt), updated_at: null, deleted_at: null,
    } });
  });

  app.post("/v2.1/os-keypairs", member(), async (c) => {
    const { keypair: req } = createBody.parse(await readJson(c));
    const userId = c.var.auth.userId;
    let publicKey = req.public_key?.trim();
    let privateKey: string | undefined;
    let blob: Uint8Array;
    if (publicKey !== undefined) {
      const parsed = parsePublicKey(publicKey);
      if (!parsed) throw new ApiError(400, "Keypair data is invalid: failed to parse the public key");
      blob = parsed.blob;
    } else {
      const generated = await generateRsaKeypair(`Generated-by-Nimbus`);
      ({ publicKey, privateKey, blob } = generated);
    }
    const row = { id: crypto.randomUUID(), userId, name: req.name, publicKey, fingerprint: fingerprint(blob) };
    const inserted = await c.var.deps.db.transaction(async (tx) => {
      await enforceKeypairQuota(tx, c.var.auth);
      return tx.insert(keypairs).values(row).onConflictDoNothing().returning();
    }, { behavior: "immediate" });
    if (inserted.length === 0) throw new ApiError(409, `Key pair '${req.name}' already exists.`);
    return c.json({ keypair: { name: row.name, public_key: row.publicKey, fingerprint: row.fingerprint, user_id: userId, ...(privateKey ? { private_key: privateKey } : {}) } });
  });

  app.delete("/v2.1/os-keypairs/:name", member(), async (c) => {
    const { kp } = await findKeypair(c.var.deps.db, c.var.auth.userId, c.req.param("name"));
    await c.var.deps.db.delete(keypairs).where(eq(keypairs.id, kp.id));
    return c.body(null, 202);
  });
}
