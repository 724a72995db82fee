import { describe, expect, it } from "vitest";
import { pickEvictions, type CacheEntry } from "./cache-lru.js";

const e = (id: string, bytes: number, lastUsed: number, inUse = false): CacheEntry => ({ id, bytes, lastUsed, inUse });

describe("image cache LRU", () => {
  it("evicts nothing while the cache fits", () => {
    expect(pickEvictions([e("a", 10, 1), e("b", 10, 2)], 20)).toEqual([]);
  });

  it("evicts least recently used images first, only as many as needed", () => {
    expect(pickEvictions([e("new", 10, 3), e("old", 10, 1), e("mid", 10, 2)], 15)).toEqual(["old", "mid"]);
    expect(pickEvictions([e("new", 10, 3), e("old", 10, 1), e("mid", 10, 2)], 20)).toEqual(["old"]);
  });

  it("never evicts images in use, even above the cap", () => {
    expect(pickEvictions([e("busy", 100, 1, true), e("idle", 10, 5)], 50)).toEqual(["idle"]);
    expect(pickEvictions([e("busy", 100, 1, true)], 0)).toEqual([]);
  });

  it("breaks ties in last use by id, so the choice is deterministic", () => {
    expect(pickEvictions([e("b", 10, 1), e("a", 10, 1)], 10)).toEqual(["a"]);
  });
});
