import type { Hono } from "hono";
import type { AppEnv } from "../lib/context.js";
import { registerAggregateRoutes } from "./aggregates.js";
import { registerHypervisorRoutes } from "./hypervisors.js";
import { registerServerGroupRoutes } from "./server-groups.js";
import { registerServiceRoutes } from "./services.js";

/** Compute resources beyond servers: server groups, aggregates and zones, hypervisors, services. */
export function registerComputeResourceRoutes(app: Hono<AppEnv>) {
  registerServerGroupRoutes(app);
  registerAggregateRoutes(app);
  registerHypervisorRoutes(app);
  registerServiceRoutes(app);
}
