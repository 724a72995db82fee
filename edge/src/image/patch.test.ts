import { describe, expect, it } from "vitest";
import { ApiError } from "../lib/errors.js";
import type { ImageDoc } from "./attributes.js";
import { applyPatch, parsePatch } from "./patch.js";

const doc: ImageDoc = {
  core: { name: "a", visibility: "private", protected: false, os_hidden: false, disk_format: "raw", container_format: "bare", min_disk: 0, min_ram: 0, tags: [], owner: "p1" },
  properties: { distro: "debian" },
};
const statusOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as ApiError).status;
  }
  return 0;
};

describe("image JSON-patch", () => {
  it("parses RFC 6902 and the legacy v2.0 form alike", () => {
    expect(parsePatch([{ op: "replace", path: "/name", value: "x" }])).toEqual([{ op: "replace", key: "name", value: "x" }]);
    expect(parsePatch([{ replace: "/name", value: "x" }])).toEqual([{ op: "replace", key: "name", value: "x" }]);
    expect(parsePatch([{ op: "remove", path: "/a~1b" }])).toEqual([{ op: "remove", key: "a/b", value: undefined }]);
  });

  it("rejects malformed operations with 400", () => {
    expect(statusOf(() => parsePatch({ op: "add" }))).toBe(400);
    expect(statusOf(() => parsePatch([{ op: "move", path: "/name" }]))).toBe(400);
    expect(statusOf(() => parsePatch([{ op: "add", path: "/name" }]))).toBe(400);
    expect(statusOf(() => parsePatch([{ op: "add", path: "/tags/0", value: "x" }]))).toBe(400);
  });

  it("sets core attributes and free properties without touching the input", () => {
    const out = applyPatch(doc, parsePatch([
      { op: "replace", path: "/min_ram", value: 512 },
      { op: "add", path: "/hw_disk_bus", value: "virtio" },
      { op: "replace", path: "/distro", value: "ubuntu" },
      { op: "add", path: "/tags", value: ["a", "a", "b"] },
    ]));
    expect(out.core.min_ram).toBe(512);
    expect(out.core.tags).toEqual(["a", "b"]);
    expect(out.properties).toEqual({ distro: "ubuntu", hw_disk_bus: "virtio" });
    expect(doc.properties).toEqual({ distro: "debian" });
    expect(applyPatch(doc, parsePatch([{ op: "remove", path: "/distro" }])).properties).toEqual({});
  });

  it("answers Glance's status codes for forbidden and impossible changes", () => {
    const code = (ops: unknown[]) => statusOf(() => applyPatch(doc, parsePatch(ops)));
    expect(code([{ op: "replace", path: "/status", value: "active" }])).toBe(403);
    expect(code([{ op: "add", path: "/os_glance_foo", value: "bar" }])).toBe(403);
    expect(code([{ op: "remove", path: "/name" }])).toBe(403);
    expect(code([{ op: "remove", path: "/missing" }])).toBe(409);
    expect(code([{ op: "replace", path: "/missing", value: "x" }])).toBe(409);
    expect(code([{ op: "replace", path: "/min_disk", value: -1 }])).toBe(400);
    expect(code([{ op: "replace", path: "/disk_format", value: "floppy" }])).toBe(400);
    expect(code([{ op: "add", path: "/extra", value: 5 }])).toBe(400);
  });
});
