import type { Context } from "hono";
import type { servers } from "../db/schema.js";
import type { AppEnv } from "../lib/context.js";
import { publicBase } from "../lib/urls.js";
import { microversion } from "./microversion.js";
import { extrasOf, hostStatusOf } from "./server-extras.js";
import { addressesOf } from "./server-ports.js";
import { attachedVolumesOf } from "./server-volumes.js";
import { securityGroupsOfServers } from "../network/server-security-groups.js";
import { serverDetail } from "./views.js";

type ServerRow = (typeof servers)["$inferSelect"];

/** Detailed views of `rows` at the request's microversion, loading addresses, extras and host status in bulk. */
export async function renderServers(c: Context<AppEnv>, rows: ServerRow[]) {
  const { db } = c.var.deps;
  const isAdmin = c.var.auth.isAdmin;
  const mv = microversion(c);
  const ids = rows.map((r) => r.id);
  const [addrs, extras, hostStatus, volumes, groups] = await Promise.all([
    addressesOf(db, ids), extrasOf(db, ids), mv >= 16 && isAdmin ? hostStatusOf(db, rows.map((r) => r.hostId)) : Promise.resolve(new Map<string, string>()),
    attachedVolumesOf(db, ids), securityGroupsOfServers(db, ids),
  ]);
  const base = publicBase(c);
  return Promise.all(rows.map((s) => serverDetail(s, addrs.get(s.id) ?? [], base, isAdmin, {
    mv, extras: extras.get(s.id)!, hostStatus: s.hostId ? hostStatus.get(s.hostId) : undefined, volumes: volumes.get(s.id), securityGroups: groups.get(s.id),
  })));
}

export const renderServer = async (c: Context<AppEnv>, row: ServerRow) => (await renderServers(c, [row]))[0];
