import { describe, expect, it } from "vitest";
import { parseQemuImgInfo, qemuFormat, tailLines } from "./image-format.js";

describe("storage helpers", () => {
  it("maps Glance formats to qemu drivers", () => {
    expect(qemuFormat("qcow2")).toBe("qcow2");
    expect(qemuFormat("vhd")).toBe("vpc");
    expect(() => qemuFormat("ami")).toThrow("unsupported disk format");
  });

  it("parses qemu-img info", () => {
    const out = '{"virtual-size": 1048576, "format": "qcow2", "backing-filename": "/b"}';
    expect(parseQemuImgInfo(out)).toEqual({ format: "qcow2", virtualSize: 1048576, backingFile: "/b" });
    expect(parseQemuImgInfo('{"virtual-size": 5, "format": "raw"}').backingFile).toBeNull();
    expect(() => parseQemuImgInfo("{}")).toThrow();
  });

  it("takes the last lines", () => {
    expect(tailLines("a\nb\nc\n", 2)).toBe("b\nc\n");
    expect(tailLines("a\nb\nc", 2)).toBe("b\nc");
    expect(tailLines("a\nb\n", 10)).toBe("a\nb\n");
    expect(tailLines("a\nb\n", null)).toBe("a\nb\n");
    expect(tailLines("a\nb\n", 0)).toBe("");
    expect(tailLines("", 3)).toBe("");
  });
});
