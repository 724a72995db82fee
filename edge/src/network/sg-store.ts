import { eq } from "drizzle-orm";
import type { DbOrTx } from "../db/client.js";
import { defaultSecurityGroups, securityGroupRules, securityGroups } from "../db/schema.js";
import { defaultGroupRules, type RuleSpec } from "./sg-rules.js";

/** Inserts a group with its rules. */
export async function insertGroup(tx: DbOrTx, g: { projectId: string; name: string; description: string }, rules: (id: string) => RuleSpec[]) {
  const id = crypto.randomUUID();
  const [row] = await tx.insert(securityGroups).values({ id, ...g }).returning();
  const specs = rules(id);
  if (specs.length) await tx.insert(securityGroupRules).values(specs.map((r) => ({ id: crypto.randomUUID(), securityGroupId: id, projectId: g.projectId, ...r })));
  return row;
}

/**
 * The project's `default` group, created with Neutron's default rules on first use. The marker
 * row's primary key makes concurrent first uses create exactly one.
 */
export async function ensureDefaultGroup(tx: DbOrTx, projectId: string): Promise<string> {
  const existing = (await tx.select().from(defaultSecurityGroups).where(eq(defaultSecurityGroups.projectId, projectId)))[0];
  if (existing) return existing.securityGroupId;
  const group = await insertGroup(tx, { projectId, name: "default", description: "Default security group" }, defaultGroupRules);
  const [won] = await tx.insert(defaultSecurityGroups).values({ projectId, securityGroupId: group.id }).onConflictDoNothing().returning();
  if (won) return group.id;
  await tx.delete(securityGroups).where(eq(securityGroups.id, group.id));
  return (await tx.select().from(defaultSecurityGroups).where(eq(defaultSecurityGroups.projectId, projectId)))[0].securityGroupId;
}
