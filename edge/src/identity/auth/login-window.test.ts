import { describe, expect, it } from "vitest";
import { afterFailure, isLocked, type AttemptWindow } from "./login-window.js";

const policy = { limit: 3, windowMs: 1000 };

describe("failed-login window", () => {
  it("is not locked without failures", () => {
    expect(isLocked(undefined, 0, policy)).toBe(false);
  });

  it("locks after `limit` failures inside the window, until it passes", () => {
    let w: AttemptWindow | undefined;
    for (const t of [0, 100, 200]) {
      expect(isLocked(w, t, policy)).toBe(false);
      w = afterFailure(w, t, policy);
    }
    expect(w).toEqual({ failures: 3, windowStart: 0 });
    expect(isLocked(w, 999, policy)).toBe(true);
    expect(isLocked(w, 1000, policy)).toBe(false);
  });

  it("starts a new window after the old one passed", () => {
    const w = afterFailure({ failures: 2, windowStart: 0 }, 1500, policy);
    expect(w).toEqual({ failures: 1, windowStart: 1500 });
    expect(afterFailure({ failures: 2, windowStart: 0 }, 500, policy)).toEqual({ failures: 3, windowStart: 0 });
  });

  it("uses 5 failures in 5 minutes by default", () => {
    expect(isLocked({ failures: 4, windowStart: 0 }, 1)).toBe(false);
    expect(isLocked({ failures: 5, windowStart: 0 }, 299_999)).toBe(true);
    expect(isLocked({ failures: 5, windowStart: 0 }, 300_000)).toBe(false);
  });
});
