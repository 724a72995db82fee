import { describe, expect, it } from "vitest";
import { paginate, sortViews } from "../../edge/src/network/list.js";

const items = [{ id: "c", name: "x" }, { id: "a", name: "y" }, { id: "b", name: "x" }];

describe("Neutron list sorting and pagination", () => {
  it("sorts by keys with id as tie-break", () => {
    expect(sortViews(items, ["name"], ["desc"]).map((i) => i.id)).toEqual(["a", "b", "c"]);
    expect(sortViews(items, ["name"], ["asc"]).map((i) => i.id)).toEqual(["b", "c", "a"]);
    expect(() => sortViews(items, ["nope"], ["asc"])).toThrow();
    expect(() => sortViews(items, ["name"], ["up"])).toThrow();
  });
  it("pages forwards and backwards around a marker", () => {
    const sorted = sortViews(items, [], []);
    expect(paginate(sorted, 2, undefined, false)).toEqual({ page: [items[1], items[2]], more: true, before: false });
    expect(paginate(sorted, 2, "b", false)).toEqual({ page: [items[0]], more: false, before: true });
    expect(paginate(sorted, 1, "c", true).page).toEqual([items[2]]);
  });
});
