import type { TokenClaims } from "../lib/token.js";
import { buildCatalog } from "./catalog.js";

const iso = (ms: number) => new Date(ms).toISOString().replace(/(\.\d{3})Z$/, "$1000Z");

/** Keystone's token body, rebuilt from the token's own claims. */
export function tokenView(claims: TokenClaims, base: string, region: string, withCatalog = true) {
  const token: Record<string, unknown> = {
    methods: claims.methods,
    user: {
      id: claims.uid,
      name: claims.uname,
      domain: { id: claims.udom, name: claims.udom === "default" ? "Default" : claims.udom },
      password_expires_at: null,
    },
    audit_ids: [claims.audit],
    expires_at: iso(claims.exp),
    issued_at: iso(claims.iat),
  };
  if (claims.pid) {
    token.project = { id: claims.pid, name: claims.pname, domain: { id: claims.pdom, name: claims.pdom === "default" ? "Default" : claims.pdom } };
    token.is_domain = false;
    token.roles = claims.roles;
    if (withCatalog) token.catalog = buildCatalog(base, region, claims.pid);
  }
  return { token };
}

export function versionView(base: string) {
  return {
    id: "v3.14",
    status: "stable",
    updated: "2020-04-07T00:00:00Z",
    links: [{ rel: "self", href: `${base}/identity/v3/` }],
    "media-types": [{ base: "application/json", type: "application/vnd.openstack.identity-v3+json" }],
  };
}
