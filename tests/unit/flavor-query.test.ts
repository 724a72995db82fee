import { describe, expect, it } from "vitest";
import { selectFlavors } from "../../edge/src/compute/flavor-query.js";

const f = (id: string, ramMb: number, diskGb: number, isPublic = true) => ({ id, name: `f${id}`, vcpus: 1, ramMb, diskGb, ephemeralGb: 0, swapMb: 0, rxtxFactor: 1, isPublic, description: null });
const rows = [f("3", 4096, 40), f("1", 512, 1), f("2", 2048, 20), f("9", 64, 0, false)];

describe("flavor listing", () => {
  it("sorts by flavor id and pages with marker and limit", () => {
    expect(selectFlavors(rows, {}, false).map((x) => x.id)).toEqual(["1", "2", "3"]);
    expect(selectFlavors(rows, { marker: "1", limit: "1" }, false).map((x) => x.id)).toEqual(["2"]);
    expect(() => selectFlavors(rows, { marker: "nope" }, false)).toThrow(RangeError);
  });

  it("filters by minimum RAM and disk", () => {
    expect(selectFlavors(rows, { minRam: "2048" }, false).map((x) => x.id)).toEqual(["2", "3"]);
    expect(selectFlavors(rows, { minDisk: "21" }, false).map((x) => x.id)).toEqual(["3"]);
  });

  it("shows private flavors only to admins who ask", () => {
    expect(selectFlavors(rows, { is_public: "none" }, false).map((x) => x.id)).not.toContain("9");
    expect(selectFlavors(rows, { is_public: "none" }, true).map((x) => x.id)).toContain("9");
    expect(selectFlavors(rows, { is_public: "false" }, true).map((x) => x.id)).toEqual(["9"]);
  });
});
