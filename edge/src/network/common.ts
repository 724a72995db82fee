import type { Context } from "hono";
import { callerProject } from "../lib/auth.js";
import type { AppEnv } from "../lib/context.js";
import { ApiError } from "../lib/errors.js";

export type Ctx = Context<AppEnv>;

/** Neutron's error body. */
export const neutronError = (e: ApiError) => ({ NeutronError: { type: e.type ?? "HTTPError", message: e.message, detail: "" } });

export const notFoundOf = (kind: string, id: string) => new ApiError(404, `${kind} ${id} could not be found.`, `${kind.replace(/ /g, "")}NotFound`);

/** The project a new resource belongs to: the caller's, or any project when an admin names one. */
export function ownerOf(c: Ctx, body: { project_id?: string; tenant_id?: string }): string {
  const wanted = body.project_id ?? body.tenant_id;
  if (wanted && wanted !== c.var.auth.projectId && !c.var.auth.isAdmin) throw new ApiError(403, "Only admins may create resources for another project.", "HTTPForbidden");
  return wanted ?? callerProject(c);
}

/** True when the caller owns the project-scoped row (admins own everything). */
export const owns = (c: Ctx, row: { projectId: string }) => c.var.auth.isAdmin || row.projectId === c.var.auth.projectId;

/** A row another project may see (shared network) but only its owner may change: 403 for others. */
export function requireOwner(c: Ctx, row: { projectId: string }, what: string) {
  if (!owns(c, row)) throw new ApiError(403, `Policy does not allow this operation on ${what}.`, "HTTPForbidden");
}

/** Attributes only admins may set (Neutron's policy on e.g. shared, router:external, binding:host_id). */
export function adminOnly(c: Ctx, body: Record<string, unknown>, keys: string[]) {
  if (c.var.auth.isAdmin) return;
  const set = keys.find((k) => body[k] !== undefined);
  if (set) throw new ApiError(403, `Policy doesn't allow setting ${set}.`, "PolicyNotAuthorized");
}

/** Neutron accepts single and bulk creates: {"x": {...}} or {"xs": [...]}. */
export function bodies(raw: unknown, one: string, many: string): { items: unknown[]; bulk: boolean } {
  const obj = (raw ?? {}) as Record<string, unknown>;
  if (Array.isArray(obj[many])) return { items: obj[many] as unknown[], bulk: true };
  if (obj[one] && typeof obj[one] === "object") return { items: [obj[one]], bulk: false };
  throw new ApiError(400, `Resource body required: expected '${one}' or '${many}'.`, "HTTPBadRequest");
}

export const stamps = (r: { createdAt: string; updatedAt: string }) => ({
  created_at: r.createdAt.replace(/\.\d+Z$/, "Z"),
  updated_at: r.updatedAt.replace(/\.\d+Z$/, "Z"),
});

export const nowIso = () => new Date().toISOString();
