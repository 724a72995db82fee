import { ApiError } from "../lib/errors.js";
import { assertWritable, checkValue, isCore, type ImageDoc } from "./attributes.js";

export const PATCH_MEDIA_TYPES = ["application/openstack-images-v2.1-json-patch", "application/openstack-images-v2.0-json-patch"];

export interface PatchOp {
  op: "add" | "replace" | "remove";
  key: string;
  value?: unknown;
}

/** One path segment of a JSON pointer ("/name" → "name"); Glance allows only top-level paths. */
function keyOf(path: unknown): string {
  if (typeof path !== "string" || !path.startsWith("/") || path.length < 2) throw new ApiError(400, `Invalid JSON pointer for this resource: '${String(path)}'`);
  const raw = path.slice(1);
  if (raw.includes("/")) throw new ApiError(400, `Invalid JSON pointer for this resource: '${path}'`);
  return raw.replace(/~1/g, "/").replace(/~0/g, "~");
}

/**
 * Parses a Glance patch body: RFC 6902 operations ({op, path, value}, v2.1 media type) or the older
 * v2.0 form ({replace: "/name", value}) tempest still sends.
 */
export function parsePatch(body: unknown): PatchOp[] {
  if (!Array.isArray(body)) throw new ApiError(400, "Request body must be a JSON array of operation objects.");
  return body.map((raw) => {
    if (!raw || typeof raw !== "object") throw new ApiError(400, "Operations must be JSON objects.");
    const o = raw as Record<string, unknown>;
    const legacy = (["add", "replace", "remove"] as const).find((k) => k in o);
    const op = typeof o.op === "string" ? o.op : legacy;
    const path = typeof o.op === "string" ? o.path : legacy ? o[legacy] : undefined;
    if (op !== "add" && op !== "replace" && op !== "remove") throw new ApiError(400, `Invalid operation: '${String(op)}'`);
    if (op !== "remove" && !("value" in o)) throw new ApiError(400, `Operation "${op}" requires a member named "value".`);
    return { op, key: keyOf(path), value: o.value };
  });
}

/** Applies operations to a copy of `doc` with Glance's rules: read-only and reserved keys are 403s. */
export function applyPatch(doc: ImageDoc, ops: PatchOp[]): ImageDoc {
  const next: ImageDoc = { core: { ...doc.core }, properties: { ...doc.properties } };
  for (const { op, key, value } of ops) {
    assertWritable(key);
    if (isCore(key)) {
      if (op === "remove") throw new ApiError(403, `Attribute '${key}' is a core attribute and cannot be removed.`);
      (next.core as Record<string, unknown>)[key] = checkValue(key, value);
      continue;
    }
    const exists = key in next.properties;
    if (op !== "add" && !exists) throw new ApiError(409, `Property ${key} does not exist.`);
    if (op === "remove") delete next.properties[key];
    else next.properties[key] = checkValue(key, value) as string;
  }
  return next;
}
