import { describe, expect, it } from "vitest";
import { randomSecret } from "../../edge/src/lib/encoding.js";
import { hashPassword, verifyPassword } from "../../edge/src/lib/password.js";
import { effectiveRoles, hasRole } from "../../edge/src/lib/policy.js";
import { TokenCodec, type TokenClaims } from "../../edge/src/lib/token.js";

const claims = (exp: number): TokenClaims => ({ uid: "u1", uname: "demo", udom: "default", pid: "p1", pname: "demo", pdom: "default", roles: [{ id: "r", name: "member" }], methods: ["password"], iat: 0, exp, audit: "a1" });

describe("tokens", () => {
  it("round-trips claims and rejects tampering, expiry and unknown keys", async () => {
    const key = randomSecret(32);
    const codec = await TokenCodec.fromKeys([key]);
    const token = await codec.seal(claims(Date.now() + 60_000));
    expect((await codec.open(token))?.uid).toBe("u1");
    const tampered = token.slice(0, -2) + (token.endsWith("A") ? "BB" : "AA");
    expect(await codec.open(tampered)).toBeNull();
    expect(await codec.open(await codec.seal(claims(Date.now() - 1)))).toBeNull();
    const other = await TokenCodec.fromKeys([randomSecret(32)]);
    expect(await other.open(token)).toBeNull();
  });

  it("keeps validating tokens from a rotated-out primary key", async () => {
    const oldKey = randomSecret(32);
    const before = await TokenCodec.fromKeys([oldKey]);
    const token = await before.seal(claims(Date.now() + 60_000));
    const after = await TokenCodec.fromKeys([randomSecret(32), oldKey]);
    expect((await after.open(token))?.pid).toBe("p1");
  });
});

describe("passwords", () => {
  it("verifies the right password only and salts every hash", async () => {
    const h1 = await hashPassword("s3cret", 1000);
    const h2 = await hashPassword("s3cret", 1000);
    expect(h1).not.toBe(h2);
    expect(await verifyPassword("s3cret", h1)).toBe(true);
    expect(await verifyPassword("S3cret", h1)).toBe(false);
    expect(await verifyPassword("s3cret", "garbage")).toBe(false);
  });
});

describe("roles", () => {
  it("admin implies member implies reader", () => {
    expect([...effectiveRoles(["admin"])].sort()).toEqual(["admin", "member", "reader"]);
    expect(hasRole(["member"], "reader")).toBe(true);
    expect(hasRole(["reader"], "member")).toBe(false);
    expect(hasRole([], "reader")).toBe(false);
  });
});
