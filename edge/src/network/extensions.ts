import type { Hono } from "hono";
import { reader } from "../lib/auth.js";
import type { AppEnv } from "../lib/context.js";
import { ApiError } from "../lib/errors.js";

const UPDATED = "2013-01-01T00:00:00-00:00";

/** The Neutron API extensions Nimbus implements, exactly: alias → name, description. */
export const EXTENSIONS: Record<string, [string, string]> = {
  "allowed-address-pairs": ["Allowed Address Pairs", "Provides allowed address pairs"],
  binding: ["Port Binding", "Expose port bindings of a virtual port to external application"],
  "ext-gw-mode": ["Neutron L3 Configurable external gateway mode", "Extension of the router abstraction for specifying whether SNAT should occur on the external gateway"],
  "external-net": ["Neutron external network", "Adds external network attribute to network resource."],
  "net-mtu": ["Network MTU", "Provides MTU attribute for a network resource."],
  pagination: ["Pagination support", "Extension that indicates that pagination is enabled."],
  "port-security": ["Port Security", "Provides port security"],
  "project-id": ["project_id field enabled", "Extension that indicates that project_id field is enabled."],
  quotas: ["Quota management support", "Expose functions for quotas management per project"],
  quota_details: ["Quota details management support", "Expose functions for quotas usage statistics per project"],
  router: ["Neutron L3 Router", "Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway."],
  "security-group": ["security-group", "The security groups extension."],
  sorting: ["Sorting support", "Extension that indicates that sorting is enabled."],
  "standard-attr-description": ["standard-attr-description", "Extension to add descriptions to standard attributes"],
  "standard-attr-timestamp": ["Resource timestamps", "Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes."],
};

const view = (alias: string) => ({ alias, name: EXTENSIONS[alias][0], description: EXTENSIONS[alias][1], updated: UPDATED, links: [] });

export function extensionRoutes(app: Hono<AppEnv>) {
  app.get("/v2.0/extensions", reader(), (c) => c.json({ extensions: Object.keys(EXTENSIONS).map(view) }));
  app.get("/v2.0/extensions/:alias", reader(), (c) => {
    const alias = c.req.param("alias");
    if (!(alias in EXTENSIONS)) throw new ApiError(404, `Extension with alias ${alias} does not exist`, "HTTPNotFound");
    return c.json({ extension: view(alias) });
  });
}
