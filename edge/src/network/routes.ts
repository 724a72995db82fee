import { Hono } from "hono";
import { authenticate } from "../lib/auth.js";
import type { AppEnv } from "../lib/context.js";
import { ApiError, errorHandler } from "../lib/errors.js";
import { publicBase } from "../lib/urls.js";
import { type Ctx, neutronError } from "./common.js";
import { extensionRoutes } from "./extensions.js";
import { floatingIpRoutes } from "./floating-ips.js";
import { syncFirewalls } from "./firewall-sync.js";
import { syncRouters } from "./router-sync.js";
import { networkRoutes } from "./networks.js";
import { portRoutes } from "./port-routes.js";
import { quotaRoutes } from "./quotas.js";
import { routerRoutes } from "./routers.js";
import { securityGroupRoutes } from "./security-groups.js";
import { subnetRoutes } from "./subnets.js";

const RESOURCES = ["network", "subnet", "port", "router", "floatingip", "security_group", "security_group_rule", "quota"];
const collection = (r: string) => (r === "security_group" ? "security-groups" : r === "security_group_rule" ? "security-group-rules" : `${r}s`);

/** Neutron v2.0. */
export function networkApp() {
  const app = new Hono<AppEnv>();
  app.onError(errorHandler(neutronError));
  app.notFound((c) => c.json(neutronError(new ApiError(404, "The resource could not be found.", "HTTPNotFound")), 404));

  const versions = (c: Ctx) => c.json({ versions: [{ id: "v2.0", status: "CURRENT", links: [{ rel: "self", href: `${publicBase(c)}/network/v2.0/` }] }] });
  app.get("/", versions);
  app.get("/v2.0", authenticate(), (c) => c.json({ resources: RESOURCES.map((r) => ({ name: r, collection: collection(r).replace(/-/g, "_"), links: [{ rel: "self", href: `${publicBase(c)}/network/v2.0/${collection(r)}` }] })) }));
  app.use("/v2.0/*", authenticate());
  // Ports and security groups decide what hosts filter: after a change, hosts get their new firewall.
  app.use("/v2.0/*", async (c, next) => {
    await next();
    if (c.req.method !== "GET" && c.res.status < 300 && /^\/v2\.0\/(ports|security-groups|security-group-rules)/.test(new URL(c.req.url).pathname.replace(/^\/network/, ""))) {
      await syncFirewalls(c.var.deps.db, c.var.deps.bus);
    }
    // Routers, floating IPs and ports (a deleted port drops its floating IP) shape the routers' NAT.
    if (c.req.method !== "GET" && c.res.status < 300 && /^\/v2\.0\/(routers|floatingips|ports)/.test(new URL(c.req.url).pathname.replace(/^\/network/, ""))) {
      const path = new URL(c.req.url).pathname;
      const routerId = path.match(/\/routers\/([^/]+)/)?.[1];
      if (c.req.method === "DELETE" && routerId) await syncRouters(c.var.deps.db, c.var.deps.bus, [routerId], []);
      else await syncRouters(c.var.deps.db, c.var.deps.bus, [], routerId ? [routerId] : path.includes("/routers") ? undefined : "gateways");
    }
  });
  extensionRoutes(app);
  networkRoutes(app);
  subnetRoutes(app);
  portRoutes(app);
  routerRoutes(app);
  floatingIpRoutes(app);
  securityGroupRoutes(app);
  quotaRoutes(app);
  return app;
}
