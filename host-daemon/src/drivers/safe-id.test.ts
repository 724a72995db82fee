import { describe, expect, it } from "vitest";
import { assertSafeId } from "./safe-id.js";

describe("assertSafeId", () => {
  it("refuses ids that are not plain file names", () => {
    expect(assertSafeId("0f3c-aa_1.b")).toBe("0f3c-aa_1.b");
    for (const bad of ["", ".", "..", "../x", "a/b", ".hidden", "a\0b"]) expect(() => assertSafeId(bad)).toThrow("invalid id");
  });
});
