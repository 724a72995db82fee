import { describe, expect, it } from "vitest";
import { el, escapeXml, renderXml } from "./xml.js";

describe("renderXml", () => {
  it("escapes text and attributes", () => {
    expect(escapeXml(`a&b<c>'d"`)).toBe("a&amp;b&lt;c&gt;&apos;d&quot;");
    expect(renderXml(el("x", { v: "it's" }, "<&>"))).toBe("<x v='it&apos;s'>&lt;&amp;&gt;</x>");
  });

  it("indents nested elements and drops undefined attributes", () => {
    const xml = renderXml(el("a", { k: 1, skip: undefined }, [el("b"), el("c", {}, "t")]));
    expect(xml).toBe("<a k='1'>\n  <b/>\n  <c>t</c>\n</a>");
  });

  it("renders an empty text node as a self-closing element", () => {
    expect(renderXml(el("e", {}, ""))).toBe("<e/>");
  });
});
