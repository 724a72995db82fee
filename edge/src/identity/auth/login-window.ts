/** Failed-login counting over a fixed window that starts at the first failure; pure. */
export interface AttemptWindow { failures: number; windowStart: number }
export interface WindowPolicy { limit: number; windowMs: number }

export const DEFAULT_LOGIN_POLICY: WindowPolicy = { limit: 5, windowMs: 5 * 60_000 };

/** Whether the window is still open at `now`. */
const open = (w: AttemptWindow, now: number, p: WindowPolicy) => now - w.windowStart < p.windowMs;

/** Whether further attempts are refused: `limit` failures already counted in an open window. */
export function isLocked(w: AttemptWindow | undefined, now: number, p: WindowPolicy = DEFAULT_LOGIN_POLICY): boolean {
  return !!w && open(w, now, p) && w.failures >= p.limit;
}

/** The window after one more failure: counted in the open window, or the first of a new one. */
export function afterFailure(w: AttemptWindow | undefined, now: number, p: WindowPolicy = DEFAULT_LOGIN_POLICY): AttemptWindow {
  if (!w || !open(w, now, p)) return { failures: 1, windowStart: now };
  return { failures: w.failures + 1, windowStart: w.windowStart };
}
