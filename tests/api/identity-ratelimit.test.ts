import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { LoginThrottle } from "../../edge/src/identity/auth/login-throttle.js";
import { ApiError } from "../../edge/src/lib/errors.js";
import { makeApi, type Api } from "./harness.js";

let api: Api;
beforeAll(async () => { api = await makeApi(); });
afterAll(() => api.cleanup());
afterEach(() => vi.useRealTimers());

const attempt = (user: string, password: string, source: string) =>
  api.request("/identity/v3/auth/tokens", {
    method: "POST",
    headers: { "X-Forwarded-For": `${source}, 10.0.0.1` },
    json: { auth: { identity: { methods: ["password"], password: { user: { name: user, domain: { name: "Default" }, password } } } } },
  });

describe("failed-login rate limiting", () => {
  it("answers 429 after 5 failures for a user from a source, until the window passes", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    for (let i = 0; i < 5; i++) expect((await attempt("rita", "wrong", "198.51.100.7")).status).toBe(401);
    const locked = await attempt("rita", "ritapw", "198.51.100.7"); // even the right password: no check is made
    expect(locked.status).toBe(429);
    expect((await locked.json()).error).toMatchObject({ code: 429, title: "Too Many Requests" });
    expect((await attempt("rita", "wrong", "203.0.113.9")).status).toBe(401); // another source
    expect((await attempt("bob", "wrong", "198.51.100.7")).status).toBe(401); // another user
    vi.setSystemTime(Date.now() + 5 * 60_000 + 1);
    expect((await attempt("rita", "ritapw", "198.51.100.7")).status).toBe(201);
  });

  it("resets the count on a success", async () => {
    for (let i = 0; i < 4; i++) expect((await attempt("alice", "wrong", "192.0.2.1")).status).toBe(401);
    expect((await attempt("alice", "alicepw", "192.0.2.1")).status).toBe(201);
    for (let i = 0; i < 4; i++) expect((await attempt("alice", "wrong", "192.0.2.1")).status).toBe(401);
    expect((await attempt("alice", "alicepw", "192.0.2.1")).status).toBe(201);
  });

  it("prefers CF-Connecting-IP over X-Forwarded-For", async () => {
    const cf = (xff: string) => api.request("/identity/v3/auth/tokens", {
      method: "POST",
      headers: { "CF-Connecting-IP": "192.0.2.50", "X-Forwarded-For": xff },
      json: { auth: { identity: { methods: ["password"], password: { user: { name: "bob", domain: { name: "Default" }, password: "wrong" } } } } },
    });
    for (let i = 0; i < 5; i++) expect((await cf(`10.9.9.${i}`)).status).toBe(401);
    expect((await cf("10.9.9.99")).status).toBe(429);
  });

  it("takes its window and clock from the constructor", async () => {
    let now = 0;
    const throttle = new LoginThrottle({ limit: 2, windowMs: 100 }, () => now);
    const fail = () => throttle.guard(api.db, { name: "x" }, "s", async () => { throw new Error("boom"); });
    const ref = { name: "admin", domain: { name: "Default" } };
    const deny = () => throttle.guard(api.db, ref, "s", async () => { throw new ApiError(401, "no"); });
    await expect(deny()).rejects.toMatchObject({ status: 401 });
    await expect(deny()).rejects.toMatchObject({ status: 401 });
    await expect(throttle.guard(api.db, ref, "s", async () => "ok")).rejects.toMatchObject({ status: 429 });
    now = 100;
    await expect(throttle.guard(api.db, ref, "s", async () => "ok")).resolves.toBe("ok");
    for (let i = 0; i < 3; i++) await expect(fail()).rejects.toThrow("boom"); // other errors are not counted
  });
});
