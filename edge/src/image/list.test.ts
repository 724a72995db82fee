import { describe, expect, it } from "vitest";
import { listImages, type Viewer } from "./list.js";
import { imageView, type ImageRow } from "./views.js";

const row = (id: string, over: Partial<ImageRow>): ImageRow => ({
  id, name: id, owner: "p1", status: "active", visibility: "private", protected: false, hidden: false, diskFormat: "raw", containerFormat: "bare",
  size: 10, virtualSize: null, checksum: null, hashAlgo: null, hashValue: null, minDisk: 0, minRam: 0, tags: [], properties: {},
  createdAt: "2026-01-01T00:00:00.000Z", updatedAt: "2026-01-01T00:00:00.000Z", ...over,
});
const all = [
  row("a", { size: 5, tags: ["x", "y"], createdAt: "2026-01-01T00:00:01.000Z" }),
  row("b", { size: 50, visibility: "public", owner: "p2", createdAt: "2026-01-02T00:00:00.000Z" }),
  row("c", { visibility: "community", owner: "p2", size: 20 }),
  row("d", { visibility: "shared", owner: "p2", size: 30, properties: { os_distro: "debian" } }),
  row("e", { visibility: "shared", owner: "p2", size: 40 }),
  row("f", { hidden: true }),
].map(imageView);
const p1: Viewer = { isAdmin: false, projectId: "p1", memberships: new Map([["d", "accepted"], ["e", "pending"]]) };
const ids = (q: Record<string, string[]>, v = p1) => listImages(all, v, q).images.map((i) => i.id);

describe("image listing", () => {
  it("shows own, public and accepted shared images; community and hidden only on request", () => {
    expect(ids({}).sort()).toEqual(["a", "b", "d"]);
    expect(ids({ visibility: ["community"] })).toEqual(["c"]);
    expect(ids({ visibility: ["shared"], member_status: ["pending"] })).toEqual(["e"]);
    expect(ids({ visibility: ["shared"], member_status: ["all"] }).sort()).toEqual(["d", "e"]);
    expect(ids({ os_hidden: ["true"] })).toEqual(["f"]);
  });

  it("filters by size range, tags, properties, in: lists and time comparisons", () => {
    expect(ids({ size_min: ["10"], size_max: ["40"] }).sort()).toEqual(["d"]);
    expect(ids({ tag: ["x", "y"] })).toEqual(["a"]);
    expect(ids({ tag: ["x", "z"] })).toEqual([]);
    expect(ids({ os_distro: ["debian"] })).toEqual(["d"]);
    expect(ids({ name: ["in:a,b"] }).sort()).toEqual(["a", "b"]);
    expect(ids({ created_at: ["gt:2026-01-01T12:00:00Z"] })).toEqual(["b"]);
    expect(() => ids({ size_min: ["x"] })).toThrow();
  });

  it("sorts with sort= or sort_key/sort_dir and pages with marker and next", () => {
    expect(ids({ sort: ["size:asc"] })).toEqual(["a", "d", "b"]);
    expect(ids({ sort_key: ["size"], sort_dir: ["desc"] })).toEqual(["b", "d", "a"]);
    expect(() => ids({ sort_key: ["password"] })).toThrow();
    const page = listImages(all, p1, { sort: ["size:asc"], limit: ["2"] });
    expect(page.images.map((i) => i.id)).toEqual(["a", "d"]);
    expect(page.next).toBe("/v2/images?sort=size%3Aasc&limit=2&marker=d");
    const rest = listImages(all, p1, { sort: ["size:asc"], limit: ["2"], marker: ["d"] });
    expect(rest.images.map((i) => i.id)).toEqual(["b"]);
    expect(rest.next).toBeUndefined();
    expect(() => listImages(all, p1, { marker: ["nope"] })).toThrow();
  });

  it("lets admins list every image", () => {
    expect(ids({}, { isAdmin: true, memberships: new Map() }).sort()).toEqual(["a", "b", "c", "d", "e"]);
  });
});
