import ipaddr from "ipaddr.js";
import { ApiError } from "../lib/errors.js";

/** Address ranges a web-download may never reach: cloud metadata (link-local), unspecified, multicast. */
const FORBIDDEN_RANGES = new Set(["linkLocal", "unspecified", "multicast", "broadcast"]);

/**
 * Checks a web-download URI: http(s) only, no credentials in it, and no literal address in a
 * forbidden range (169.254.169.254 and friends). Host names are not resolved here.
 */
export function checkWebDownloadUri(uri: string): URL {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new ApiError(400, `Invalid URI ${uri}.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new ApiError(400, `URI scheme ${url.protocol} is not allowed for web-download.`);
  if (url.username || url.password) throw new ApiError(400, "Credentials in a web-download URI are not allowed.");
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (ipaddr.isValid(host)) {
    const addr = ipaddr.process(host);
    if (FORBIDDEN_RANGES.has(addr.range())) throw new ApiError(400, `web-download from ${host} is not allowed.`);
  }
  return url;
}
