import { verifyPassword } from "../../lib/password.js";

/** Keystone's `unique_last_password_count`: a user changing their own password cannot reuse the current or the one before. */
export const UNIQUE_LAST_PASSWORDS = 2;

/** The history after replacing `currentHash`: it joins the previous hashes, of which only as many as needed are kept. */
export function nextHistory(previous: string[], currentHash: string): string[] {
  const kept = UNIQUE_LAST_PASSWORDS - 1;
  return currentHash && kept > 0 ? [...previous, currentHash].slice(-kept) : [];
}

/** Whether `password` is the current one or among the recent ones the rule forbids. */
export async function reusesRecent(password: string, currentHash: string, previous: string[]): Promise<boolean> {
  for (const hash of [currentHash, ...previous.slice(-(UNIQUE_LAST_PASSWORDS - 1))]) {
    if (hash && (await verifyPassword(password, hash))) return true;
  }
  return false;
}
