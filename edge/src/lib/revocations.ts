import { gt } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { revokedTokens } from "../db/schema.js";

/**
 * Revoked token audit ids, kept in memory and refreshed from the database at most every
 * `maxAgeMs`: validation stays free of per-request reads, and a revocation made by another edge
 * instance takes effect within that bound (this instance's own take effect at once).
 */
export class RevocationList {
  private ids = new Set<string>();
  private loadedAt = 0;
  private loading: Promise<void> | null = null;

  constructor(private readonly db: Db, private readonly maxAgeMs = 5_000, private readonly now = () => Date.now()) {}

  async isRevoked(auditId: string): Promise<boolean> {
    if (this.now() - this.loadedAt > this.maxAgeMs) await this.refresh();
    return this.ids.has(auditId);
  }

  async revoke(auditId: string, expiresAt: Date): Promise<void> {
    await this.db.insert(revokedTokens).values({ auditId, expiresAt: expiresAt.toISOString() }).onConflictDoNothing();
    this.ids.add(auditId);
  }

  private refresh(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const rows = await this.db.select({ id: revokedTokens.auditId }).from(revokedTokens).where(gt(revokedTokens.expiresAt, new Date(this.now()).toISOString()));
        this.ids = new Set(rows.map((r) => r.id));
        this.loadedAt = this.now();
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }
}
