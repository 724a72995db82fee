import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { assignments, flavors, impliedRoles, networks, projects, roles, subnets, users } from "../db/schema.js";
import { hashPassword } from "../lib/password.js";
import { createPort } from "../network/ports.js";
import { defaultGateway, defaultPools } from "../network/ipam.js";
import { defaultMtu } from "../network/overlay-plan.js";
import { ensureSegment } from "../network/overlay-sync.js";

export interface Account { user: string; password: string; project: string; role: "admin" | "member" | "reader" }

const SEED_FLAVORS = [
  { id: "1", name: "m1.tiny", vcpus: 1, ramMb: 512, diskGb: 1 },
  { id: "2", name: "m1.small", vcpus: 1, ramMb: 2048, diskGb: 20 },
  { id: "3", name: "m1.medium", vcpus: 2, ramMb: 4096, diskGb: 40 },
];

async function ensureRole(db: Db, name: string): Promise<string> {
  await db.insert(roles).values({ id: crypto.randomUUID().replace(/-/g, ""), name }).onConflictDoNothing();
  return (await db.select().from(roles).where(and(eq(roles.name, name), isNull(roles.domainId))))[0].id;
}

async function ensureProject(db: Db, name: string): Promise<string> {
  await db.insert(projects).values({ id: crypto.randomUUID().replace(/-/g, ""), name, description: `${name} project` }).onConflictDoNothing();
  return (await db.select().from(projects).where(and(eq(projects.name, name), eq(projects.domainId, "default"))))[0].id;
}

async function ensureUser(db: Db, name: string, password: string): Promise<string> {
  const existing = (await db.select().from(users).where(and(eq(users.name, name), eq(users.domainId, "default"))))[0];
  if (existing) {
    await db.update(users).set({ passwordHash: await hashPassword(password) }).where(eq(users.id, existing.id));
    return existing.id;
  }
  const id = crypto.randomUUID().replace(/-/g, "");
  await db.insert(users).values({ id, name, passwordHash: await hashPassword(password) });
  return id;
}

/** Creates the accounts; roles admin ⊃ member ⊃ reader (and the rules saying so) exist from the start. */
export async function seedIdentity(db: Db, accounts: Account[]): Promise<Record<string, string>> {
  const roleIds: Record<string, string> = {};
  for (const r of ["admin", "member", "reader"]) roleIds[r] = await ensureRole(db, r);
  for (const [prior, implied] of [["admin", "member"], ["member", "reader"]]) {
    await db.insert(impliedRoles).values({ priorRoleId: roleIds[prior], impliedRoleId: roleIds[implied] }).onConflictDoNothing();
  }
  const projectIds: Record<string, string> = {};
  for (const a of accounts) {
    const projectId = (projectIds[a.project] ??= await ensureProject(db, a.project));
    const userId = await ensureUser(db, a.user, a.password);
    const roleId = await ensureRole(db, a.role);
    await db.insert(assignments).values({ actorType: "user", actorId: userId, targetType: "project", targetId: projectId, roleId }).onConflictDoNothing();
  }
  return projectIds;
}

export async function seedFlavors(db: Db): Promise<void> {
  for (const f of SEED_FLAVORS) await db.insert(flavors).values(f).onConflictDoNothing();
}

/** A network with one IPv4 subnet (and its DHCP port when DHCP is on), unless it exists. */
export async function ensureNetwork(db: Db, n: { name: string; projectId: string; cidr: string; external?: boolean; shared?: boolean; dhcp?: boolean }) {
  const existing = (await db.select().from(networks).where(eq(networks.name, n.name)))[0];
  if (existing) return existing.id;
  const id = crypto.randomUUID();
  const gateway = defaultGateway(n.cidr);
  await db.transaction(async (tx) => {
    await tx.insert(networks).values({ id, name: n.name, projectId: n.projectId, external: !!n.external, shared: !!n.shared, mtu: defaultMtu(!!n.external) });
    await tx.insert(subnets).values({
      id: crypto.randomUUID(), networkId: id, projectId: n.projectId, name: `${n.name}-subnet`, cidr: n.cidr,
      gatewayIp: gateway, enableDhcp: n.dhcp !== false, allocationPools: defaultPools(n.cidr, gateway), dnsNameservers: [],
    });
    if (n.dhcp !== false) await createPort(tx, { networkId: id, projectId: n.projectId, deviceOwner: "network:dhcp", deviceId: `dhcp-${id}` });
    await ensureSegment(tx, id);
  }, { behavior: "immediate" });
  return id;
}
