import { describe, expect, it } from "vitest";
import { newSecret, parseExpiry, verifySecret } from "./secret.js";

describe("application credential secrets", () => {
  it("hashes a generated secret with SHA-256 and a chosen one with the password KDF", async () => {
    const generated = await newSecret();
    expect(generated.secret.length).toBeGreaterThanOrEqual(64);
    expect(generated.hash).toMatch(/^sha256\$[0-9a-f]{64}$/);
    expect(await verifySecret(generated.secret, generated.hash)).toBe(true);
    expect(await verifySecret(`${generated.secret}x`, generated.hash)).toBe(false);
    const chosen = await newSecret("hunter2");
    expect(chosen.hash).toMatch(/^pbkdf2-sha256\$/);
    expect(await verifySecret("hunter2", chosen.hash)).toBe(true);
    expect(await verifySecret("hunter3", chosen.hash)).toBe(false);
  });
});

describe("expiry parsing", () => {
  it("renders like Python's isoformat of a naive UTC time", () => {
    expect(parseExpiry("2030-01-02T03:04:05.123456")).toEqual({ text: "2030-01-02T03:04:05.123456", ms: Date.UTC(2030, 0, 2, 3, 4, 5, 123) });
    expect(parseExpiry("2030-01-02T03:04:05")).toEqual({ text: "2030-01-02T03:04:05", ms: Date.UTC(2030, 0, 2, 3, 4, 5) });
    expect(parseExpiry("2030-01-02T03:04:05.5Z")?.text).toBe("2030-01-02T03:04:05.500000");
    expect(parseExpiry("2030-01-02T03:04:05+02:00")?.text).toBe("2030-01-02T01:04:05");
    expect(parseExpiry("2030-01-02T00:30:00-01:00")?.text).toBe("2030-01-02T01:30:00");
  });

  it("refuses what is not a date and time", () => {
    for (const bad of ["tomorrow", "2030-01-02", "2030-02-30T00:00:00", ""]) expect(parseExpiry(bad)).toBeNull();
  });
});
