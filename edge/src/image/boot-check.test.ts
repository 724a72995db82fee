import { describe, expect, it } from "vitest";
import { assertImageBootable } from "./boot-check.js";

const img = { id: "i", status: "active", minRam: 256, minDisk: 2, size: 1024 };
const flavor = { ramMb: 512, diskGb: 2 };

describe("image vs flavor at boot", () => {
  it("accepts an active image the flavor satisfies", () => {
    expect(() => assertImageBootable(img, flavor)).not.toThrow();
    expect(() => assertImageBootable({ ...img, minDisk: 50 }, { ramMb: 512, diskGb: 0 })).not.toThrow();
  });

  it("refuses inactive images, too little RAM or disk, and images larger than the root disk", () => {
    expect(() => assertImageBootable({ ...img, status: "queued" }, flavor)).toThrow("is not active");
    expect(() => assertImageBootable({ ...img, minRam: 1024 }, flavor)).toThrow("memory is too small");
    expect(() => assertImageBootable({ ...img, minDisk: 3 }, flavor)).toThrow("disk is too small");
    expect(() => assertImageBootable({ ...img, size: 3 * 1024 ** 3 }, flavor)).toThrow("Flavor disk is 2147483648 bytes");
  });
});
