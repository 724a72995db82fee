import type { TokenClaims } from "../lib/token.js";

const iso = (ms: number) => new Date(ms).toISOString().replace(/(\.\d{3})Z$/, "$1000Z");
const domainName = (id: string, name?: string) => name ?? (id === "default" ? "Default" : id);

/** Whether the token carries a catalog: only scoped tokens do, as in Keystone. */
export const isScoped = (claims: TokenClaims) => !!(claims.pid || claims.did || claims.sys);

/** Keystone's token body, rebuilt from the token's own claims; `catalog` is given for scoped tokens. */
export function tokenView(claims: TokenClaims, catalog?: unknown[]) {
  const token: Record<string, unknown> = {
    methods: claims.methods,
    user: {
      id: claims.uid,
      name: claims.uname,
      domain: { id: claims.udom, name: domainName(claims.udom, claims.udn) },
      password_expires_at: null,
    },
    audit_ids: claims.chain ? [claims.audit, claims.chain] : [claims.audit],
    expires_at: iso(claims.exp),
    issued_at: iso(claims.iat),
  };
  if (claims.pid) {
    token.project = { id: claims.pid, name: claims.pname, domain: { id: claims.pdom, name: domainName(claims.pdom ?? "", claims.pdn) } };
    token.is_domain = false;
  } else if (claims.did) {
    token.domain = { id: claims.did, name: claims.dname };
  } else if (claims.sys) {
    token.system = { all: true };
  }
  if (isScoped(claims)) token.roles = claims.roles;
  if (claims.acid) token.application_credential = { id: claims.acid, name: claims.acname, restricted: !!claims.acr };
  if (catalog && isScoped(claims)) token.catalog = catalog;
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
