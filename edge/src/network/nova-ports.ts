import { and, eq, inArray, or } from "drizzle-orm";
import type { DbOrTx } from "../db/client.js";
import { floatingIps, ports, securityGroups } from "../db/schema.js";
import type { AuthContext } from "../lib/context.js";
import { ApiError } from "../lib/errors.js";
import { createPort } from "./ports.js";
import { ensureDefaultGroup } from "./sg-store.js";

/** One NIC of a server: a new port on a network, or a port the user created beforehand. */
export type Nic = { networkId: string; fixedIp?: string } | { portId: string };

const novaBad = (msg: string) => new ApiError(400, msg, "badRequest");

/** Checks a user-supplied port for `server create --port` / interface attach: own, unbound. */
export async function claimablePort(db: DbOrTx, auth: AuthContext, portId: string) {
  const p = (await db.select().from(ports).where(eq(ports.id, portId)))[0];
  if (!p || (!auth.isAdmin && p.projectId !== auth.projectId)) throw novaBad(`Port id ${portId} could not be found.`);
  if (p.deviceId) throw new ApiError(409, `Port ${portId} is still in use.`, "conflict");
  return p;
}

/** Nova's security_groups: names or ids in the project; none means the project's default. */
export async function resolveSecurityGroups(db: DbOrTx, projectId: string, requested: Array<{ name: string }> | undefined): Promise<string[] | undefined> {
  if (!requested || requested.length === 0) return undefined;
  const ids: string[] = [];
  for (const { name } of requested) {
    const hits = await projectGroupsNamed(db, projectId, name);
    if (hits.length !== 1) throw novaBad(`Unable to find security_group with name or id '${name}'`);
    ids.push(hits[0]!);
  }
  return [...new Set(ids)];
}

/** Ids of the project's groups whose id or name is `nameOrId` (`default` is created on first use). */
export async function projectGroupsNamed(db: DbOrTx, projectId: string, nameOrId: string): Promise<string[]> {
  if (nameOrId === "default") return [await ensureDefaultGroup(db, projectId)];
  const hits = await db.select({ id: securityGroups.id }).from(securityGroups)
    .where(and(eq(securityGroups.projectId, projectId), or(eq(securityGroups.id, nameOrId), eq(securityGroups.name, nameOrId))));
  return hits.map((h) => h.id);
}

/** Creates or binds the server's ports inside the create transaction. */
export async function plugNics(tx: DbOrTx, s: { serverId: string; projectId: string; hostId: string; nics: Nic[]; securityGroupIds?: string[] }) {
  for (const nic of s.nics) {
    if ("portId" in nic) {
      const bound = await tx.update(ports).set({ deviceId: s.serverId, deviceOwner: "compute:nova", hostId: s.hostId })
        .where(and(eq(ports.id, nic.portId), eq(ports.deviceId, ""))).returning({ id: ports.id });
      if (!bound.length) throw new ApiError(409, `Port ${nic.portId} is still in use.`, "conflict");
      continue;
    }
    await createPort(tx, {
      networkId: nic.networkId, projectId: s.projectId, deviceId: s.serverId, deviceOwner: "compute:nova", hostId: s.hostId,
      securityGroupIds: s.securityGroupIds, fixedIps: nic.fixedIp ? [{ ipAddress: nic.fixedIp }] : undefined,
    });
  }
}

/** Frees a server's ports: those Nova created go, those the user passed in are unbound and stay. */
export async function unplugServerPorts(db: DbOrTx, serverId: string, portIds?: string[]) {
  const scope = portIds ? and(eq(ports.deviceId, serverId), inArray(ports.id, portIds)) : eq(ports.deviceId, serverId);
  const rows = await db.select({ id: ports.id, preexisting: ports.preexisting }).from(ports).where(scope);
  if (rows.length === 0) return;
  await db.update(floatingIps).set({ portId: null, fixedIpAddress: null, routerId: null }).where(inArray(floatingIps.portId, rows.map((r) => r.id)));
  const keep = rows.filter((r) => r.preexisting).map((r) => r.id);
  const drop = rows.filter((r) => !r.preexisting).map((r) => r.id);
  if (keep.length) await db.update(ports).set({ deviceId: "", deviceOwner: "", hostId: null, status: "DOWN" }).where(inArray(ports.id, keep));
  if (drop.length) await db.delete(ports).where(inArray(ports.id, drop));
}
