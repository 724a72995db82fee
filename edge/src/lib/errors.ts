import type { Context, ErrorHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ZodError } from "zod";

/** A failure the API reports to its caller; each service renders it in its own format. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
    /** Service-specific error type, e.g. Neutron's "NetworkNotFound". */
    readonly type?: string,
  ) {
    super(message);
  }
}

export const badRequest = (msg: string, type?: string) => new ApiError(400, msg, type ?? "HTTPBadRequest");
export const unauthorized = (msg = "The request you have made requires authentication.") => new ApiError(401, msg, "HTTPUnauthorized");
export const forbidden = (msg = "You are not authorized to perform the requested action.") => new ApiError(403, msg, "HTTPForbidden");
export const notFound = (msg: string, type?: string) => new ApiError(404, msg, type ?? "HTTPNotFound");
export const conflict = (msg: string, type?: string) => new ApiError(409, msg, type ?? "Conflict");

const titles: Record<number, string> = {
  400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
  409: "Conflict", 413: "Request Entity Too Large", 415: "Unsupported Media Type", 429: "Too Many Requests", 500: "Internal Server Error",
  503: "Service Unavailable",
};
export const statusTitle = (status: number) => titles[status] ?? "Error";

/** Turns anything thrown into an ApiError; unknown errors become 500 without leaking details. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof ZodError) {
    const issue = err.issues[0];
    const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
    return badRequest(`Invalid input for field/attribute ${where}${issue?.message ?? "invalid"}`);
  }
  if (err instanceof SyntaxError) return badRequest("Malformed request body: the body is not valid JSON.");
  console.error(err);
  return new ApiError(500, "An unexpected error occurred.", "InternalError");
}

export type ErrorBody = (err: ApiError) => unknown;

/** One onError per service: status and the service's own error body. */
export function errorHandler(render: ErrorBody): ErrorHandler {
  return (err: unknown, c: Context) => {
    const apiErr = toApiError(err);
    if (apiErr.status === 401) c.header("WWW-Authenticate", 'Keystone uri="/identity"');
    return c.json(render(apiErr) as object, apiErr.status);
  };
}

/** Reads a JSON body, turning a parse failure into a 400. */
export async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (!text) throw badRequest("The request body is empty.");
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest("Malformed request body: the body is not valid JSON.");
  }
}
