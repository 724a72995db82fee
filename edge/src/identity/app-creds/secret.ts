import { randomSecret, sha256Hex, timingSafeEqual } from "../../lib/encoding.js";
import { hashPassword, verifyPassword } from "../../lib/password.js";

/**
 * Secrets of application credentials. A generated secret has 384 bits of entropy, so a SHA-256
 * of it is enough; a secret the user chose may be weak and gets the slow password hash.
 */
export async function newSecret(chosen?: string): Promise<{ secret: string; hash: string }> {
  if (chosen) return { secret: chosen, hash: await hashPassword(chosen) };
  const secret = randomSecret(48);
  return { secret, hash: `sha256$${await sha256Hex(secret)}` };
}

export async function verifySecret(secret: string, hash: string): Promise<boolean> {
  if (hash.startsWith("sha256$")) return timingSafeEqual(`sha256$${await sha256Hex(secret)}`, hash);
  return verifyPassword(secret, hash);
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6})\d*)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/**
 * Parses an ISO 8601 expiry (naive times are UTC, as in Keystone) into epoch ms and Keystone's
 * rendering: naive UTC with microseconds when there are any, as Python's isoformat() writes it.
 * Returns null for anything else.
 */
export function parseExpiry(input: string): { text: string; ms: number } | null {
  const m = ISO.exec(input.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s = "0", frac = "", zone] = m;
  let offsetMin = 0;
  if (zone && zone !== "Z") {
    const digits = zone.replace(":", "");
    offsetMin = (digits[0] === "-" ? -1 : 1) * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
  }
  const wholeMs = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s) - offsetMin * 60_000;
  const t = new Date(wholeMs);
  if (Number.isNaN(wholeMs) || (offsetMin === 0 && (t.getUTCDate() !== +d || t.getUTCMonth() !== +mo - 1))) return null;
  const micros = frac.padEnd(6, "0");
  const text = `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}T${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}`;
  return { text: Number(micros) ? `${text}.${micros}` : text, ms: wholeMs + Math.floor(Number(micros) / 1000) };
}
