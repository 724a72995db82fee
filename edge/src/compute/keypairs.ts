import { and, eq, sql } from "drizzle-orm";
import type { Context, Hono } from "hono";
import { z } from "zod";
import type { Db } from "../db/client.js";
import { keypairs } from "../db/schema.js";
import { member, reader } from "../lib/auth.js";
import type { AppEnv } from "../lib/context.js";
import { ApiError, readJson } from "../lib/errors.js";
import { microversion } from "./microversion.js";
import { enforceKeypairQuota } from "./quotas.js";
import { fingerprint, generateRsaKeypair, parsePublicKey } from "./ssh-keys.js";

const createBody = z.object({
  keypair: z.object({
    // Nova 2.1 allows letters, digits, spaces, underscores and hyphens.
    name: z.string().trim().min(1).max(255).regex(/^[A-Za-z0-9 _-]+$/, "Keypair name contains unsafe characters"),
    public_key: z.string().optional(),
    /** 2.2: ssh (default) or x509. */
    type: z.enum(["ssh", "x509"]).optional(),
    /** 2.10: an admin may manage another user's keypairs. */
    user_id: z.string().min(1).optional(),
  }),
});

/** The DER bytes of a PEM certificate, or null. */
function pemCertificate(text: string): Uint8Array<ArrayBuffer> | null {
  const m = /^-----BEGIN CERTIFICATE-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END CERTIFICATE-----\s*$/.exec(text);
  if (!m) return null;
  try {
    return Uint8Array.from(atob(m[1].replace(/\s+/g, "")), (ch) => ch.charCodeAt(0));
  } catch {
    return null;
  }
}

/** Whose keypairs a request is about: from 2.10 an admin may name another user (`user_id`). */
function ownerOf(c: Context<AppEnv>, requested: string | undefined): string {
  const self = c.var.auth.userId;
  if (requested === undefined || microversion(c) < 10 || requested === self) return self;
  if (!c.var.auth.isAdmin) throw new ApiError(403, "Policy doesn't allow os_compute_api:os-keypairs to be performed for another user.");
  return requested;
}

/** 2.2 adds the key type to every keypair view. */
const typed = (c: Context, type: string) => (microversion(c) >= 2 ? { type } : {});

const stamp = (s: string) => s.replace(/Z$/, "").replace(/(\.\d{6})\d*$/, "$1");

export async function findKeypair(db: Db, userId: string, name: string) {
  const row = (await db.select({ kp: keypairs, rowid: sql<number>`rowid` }).from(keypairs).where(and(eq(keypairs.userId, userId), eq(keypairs.name, name))))[0];
  if (!row) throw new ApiError(404, `Keypair ${name} not found for user ${userId}`);
  return row;
}

/** Nova's os-keypairs at 2.1: keypairs belong to the calling user; generated keys are RSA. */
export function registerKeypairRoutes(app: Hono<AppEnv>) {
  app.get("/v2.1/os-keypairs", reader(), async (c) => {
    const rows = await c.var.deps.db.select().from(keypairs).where(eq(keypairs.userId, ownerOf(c, c.req.query("user_id")))).orderBy(keypairs.name);
    return c.json({ keypairs: rows.map((k) => ({ keypair: { name: k.name, public_key: k.publicKey, fingerprint: k.fingerprint, ...typed(c, k.type) } })) });
  });

  app.get("/v2.1/os-keypairs/:name", reader(), async (c) => {
    const { kp, rowid } = await findKeypair(c.var.deps.db, ownerOf(c, c.req.query("user_id")), c.req.param("name"));
    return c.json({ keypair: {
      id: Number(rowid), name: kp.name, public_key: kp.publicKey, fingerprint: kp.fingerprint, user_id: kp.userId,
      deleted: false, created_at: stamp(kp.createdAt), updated_at: null, deleted_at: null, ...typed(c, kp.type),
    } });
  });

  app.post("/v2.1/os-keypairs", member(), async (c) => {
    const { keypair: req } = createBody.parse(await readJson(c));
    const userId = ownerOf(c, req.user_id);
    let publicKey = req.public_key?.trim();
    let privateKey: string | undefined;
    let blob: Uint8Array;
    const type = microversion(c) >= 2 ? req.type ?? "ssh" : "ssh";
    if (req.type && microversion(c) < 2) throw new ApiError(400, "Invalid input for field/attribute keypair. Additional properties are not allowed ('type' was unexpected)");
    if (type === "x509") {
      // Nova fingerprints a certificate as the SHA-1 of its DER form.
      const der = publicKey ? pemCertificate(publicKey) : null;
      if (!der) throw new ApiError(400, "Keypair data is invalid: an x509 keypair needs a PEM certificate as public_key (generation is not supported)");
      blob = new Uint8Array(await crypto.subtle.digest("SHA-1", der));
    } else if (publicKey !== undefined) {
      const parsed = parsePublicKey(publicKey);
      if (!parsed) throw new ApiError(400, "Keypair data is invalid: failed to parse the public key");
      blob = parsed.blob;
    } else {
      const generated = await generateRsaKeypair(`Generated-by-Nimbus`);
      ({ publicKey, privateKey, blob } = generated);
    }
    const print = type === "x509" ? Array.from(blob, (b) => b.toString(16).padStart(2, "0")).join(":") : fingerprint(blob);
    const row = { id: crypto.randomUUID(), userId, name: req.name, publicKey: publicKey!, fingerprint: print, type };
    const inserted = await c.var.deps.db.transaction(async (tx) => {
      await enforceKeypairQuota(tx, c.var.auth);
      return tx.insert(keypairs).values(row).onConflictDoNothing().returning();
    }, { behavior: "immediate" });
    if (inserted.length === 0) throw new ApiError(409, `Key pair '${req.name}' already exists.`);
    const view = { name: row.name, public_key: row.publicKey, fingerprint: row.fingerprint, user_id: userId, ...(privateKey ? { private_key: privateKey } : {}), ...typed(c, type) };
    // 2.2 answers 201 Created (2.1 said 200).
    return c.json({ keypair: view }, microversion(c) >= 2 ? 201 : 200);
  });

  app.delete("/v2.1/os-keypairs/:name", member(), async (c) => {
    const { kp } = await findKeypair(c.var.deps.db, ownerOf(c, c.req.query("user_id")), c.req.param("name"));
    await c.var.deps.db.delete(keypairs).where(eq(keypairs.id, kp.id));
    return c.body(null, microversion(c) >= 2 ? 204 : 202);
  });
}
