/** A minimal XML tree and serialiser: builders produce data, this turns it into text. */

export type XmlAttrs = Record<string, string | number | undefined>;

export interface XmlElement {
  name: string;
  attrs?: XmlAttrs;
  /** Child elements, or a single text node. */
  children?: XmlElement[] | string;
}

/** Shorthand constructor; `undefined` attributes are dropped when serialised. */
export const el = (name: string, attrs: XmlAttrs = {}, children?: XmlElement[] | string): XmlElement => ({
  name,
  attrs,
  children,
});

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "'": "&apos;", '"': "&quot;" };

/** Escapes text or an attribute value (single-quoted attributes are used). */
export const escapeXml = (value: string | number): string => String(value).replace(/[&<>'"]/g, (c) => ESCAPES[c]);

/** Serialises with two-space indentation; text-only elements stay on one line. */
export function renderXml(node: XmlElement, depth = 0): string {
  const pad = "  ".repeat(depth);
  const attrs = Object.entries(node.attrs ?? {})
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}='${escapeXml(v as string | number)}'`)
    .join("");
  const open = `${pad}<${node.name}${attrs}`;
  if (node.children === undefined || node.children.length === 0) return `${open}/>`;
  if (typeof node.children === "string") return `${open}>${escapeXml(node.children)}</${node.name}>`;
  const inner = node.children.map((c) => renderXml(c, depth + 1)).join("\n");
  return `${open}>\n${inner}\n${pad}</${node.name}>`;
}
