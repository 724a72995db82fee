import { gt, lt } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { revocationEvents, revokedTokens } from "../db/schema.js";
import type { TokenClaims } from "./token.js";

/** What a revocation event matches: a token matches when it carries every attribute given. */
export interface RevocationMatch { userId?: string; projectId?: string; domainId?: string; roleId?: string; appCredId?: string }

/** The claims revocation looks at. */
export type RevocableClaims = Pick<TokenClaims, "audit" | "uid" | "udom" | "pid" | "pdom" | "did" | "acid" | "roles" | "iat">;

const keyOf = (m: RevocationMatch) =>
  [m.userId && `u:${m.userId}`, m.projectId && `p:${m.projectId}`, m.domainId && `d:${m.domainId}`, m.roleId && `r:${m.roleId}`, m.appCredId && `a:${m.appCredId}`]
    .filter(Boolean)
    .join("|");

/**
 * Every event key that could match these claims. Events combine at most a user with a project or a
 * domain; a user-and-domain event covers the user's tokens scoped to that domain or to a project in it.
 */
function candidateKeys(c: RevocableClaims): string[] {
  const keys = [keyOf({ userId: c.uid }), keyOf({ domainId: c.udom })];
  if (c.pid) keys.push(keyOf({ projectId: c.pid }), keyOf({ userId: c.uid, projectId: c.pid }));
  for (const d of [c.pdom, c.did]) if (d) keys.push(keyOf({ domainId: d }), keyOf({ userId: c.uid, domainId: d }));
  if (c.acid) keys.push(keyOf({ appCredId: c.acid }));
  for (const r of c.roles) keys.push(keyOf({ roleId: r.id }));
  return keys;
}

/** Pure in-memory index: revoked audit ids, and per event key the latest `issued_before`. */
export class RevocationIndex {
  private readonly audits = new Set<string>();
  private readonly events = new Map<string, number>();

  addAudit(auditId: string): void {
    this.audits.add(auditId);
  }

  addEvent(match: RevocationMatch, issuedBefore: number): void {
    const key = keyOf(match);
    if (!key) throw new Error("a revocation event must match something");
    this.events.set(key, Math.max(issuedBefore, this.events.get(key) ?? -Infinity));
  }

  matches(claims: RevocableClaims): boolean {
    if (this.audits.has(claims.audit)) return true;
    return candidateKeys(claims).some((k) => claims.iat <= (this.events.get(k) ?? -Infinity));
  }
}

type LocalWrite = { at: number; apply: (index: RevocationIndex) => void };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Revoked tokens (by audit id) and revocation events (by user, project, domain or role), kept in
 * memory and refreshed from the database at most every `maxAgeMs`: validation stays free of
 * per-request reads, and a revocation made by another edge instance takes effect within that
 * bound (this instance's own take effect at once).
 */
export class RevocationList {
  private index = new RevocationIndex();
  private loadedAt = 0;
  private loading: Promise<void> | null = null;
  /** This instance's writes, re-applied after a refresh that may have started before them. */
  private local: LocalWrite[] = [];

  constructor(private readonly db: Db, private readonly maxAgeMs = 5_000, private readonly now = () => Date.now()) {}

  /**
   * Whether the token is revoked. `fresh` reloads from the database first, for rare calls that must
   * see other instances' revocations at once (rescoping: a new token would outlive the window).
   */
  async isRevoked(claims: RevocableClaims, opts: { fresh?: boolean } = {}): Promise<boolean> {
    if (opts.fresh) {
      await this.loading; // a load already under way may predate the revocation we must see
      await this.refresh();
    } else if (this.now() - this.loadedAt > this.maxAgeMs) await this.refresh();
    return this.index.matches(claims);
  }

  /** Revokes one token by its audit id until it expires. */
  async revoke(auditId: string, expiresAt: Date): Promise<void> {
    await this.db.insert(revokedTokens).values({ auditId, expiresAt: expiresAt.toISOString() }).onConflictDoNothing();
    this.remember((index) => index.addAudit(auditId));
  }

  /**
   * Revokes every token issued until now that matches `match` (or any of several); call it after
   * the change that motivates it is committed. `keepForMs` must cover the longest token lifetime.
   * On return the clock has moved past the event, so tokens issued afterwards by this instance stay valid.
   */
  async revokeMatching(match: RevocationMatch | RevocationMatch[], keepForMs: number): Promise<void> {
    const matches = Array.isArray(match) ? match : [match];
    if (matches.length === 0) return;
    const issuedBefore = this.now();
    await this.db.delete(revocationEvents).where(lt(revocationEvents.expiresAt, issuedBefore));
    await this.db.insert(revocationEvents).values(matches.map((m) => ({ ...m, issuedBefore, expiresAt: issuedBefore + keepForMs })));
    this.remember((index) => matches.forEach((m) => index.addEvent(m, issuedBefore)));
    for (let i = 0; i < 10 && this.now() <= issuedBefore; i++) await sleep(1);
  }

  private remember(apply: (index: RevocationIndex) => void): void {
    apply(this.index);
    this.local.push({ at: this.now(), apply });
  }

  private refresh(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const started = this.now();
        const [tokens, events] = await Promise.all([
          this.db.select({ id: revokedTokens.auditId }).from(revokedTokens).where(gt(revokedTokens.expiresAt, new Date(started).toISOString())),
          this.db.select().from(revocationEvents).where(gt(revocationEvents.expiresAt, started)),
        ]);
        const index = new RevocationIndex();
        for (const t of tokens) index.addAudit(t.id);
        for (const e of events) {
          const match = { userId: e.userId ?? undefined, projectId: e.projectId ?? undefined, domainId: e.domainId ?? undefined, roleId: e.roleId ?? undefined, appCredId: e.appCredId ?? undefined };
          index.addEvent(match, e.issuedBefore);
        }
        // Writes committed before this load began are in it; later ones must be re-applied.
        this.local = this.local.filter((w) => w.at >= started);
        for (const w of this.local) w.apply(index);
        this.index = index;
        this.loadedAt = started;
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }
}
