import type { Role } from "../../lib/policy.js";

/** The seeded global roles: policy depends on their names, so (like Keystone's bootstrap) they are immutable. */
const SEEDED: ReadonlySet<string> = new Set<Role>(["admin", "member", "reader"]);
export const isImmutableRole = (r: { name: string; domainId: string | null }) => r.domainId === null && SEEDED.has(r.name);

/** The seeded inference rules, the chain lib/policy.ts enforces: admin ⊃ member ⊃ reader. They cannot be removed. */
export const SEEDED_INFERENCES: ReadonlyArray<{ prior: Role; implies: Role }> = [
  { prior: "admin", implies: "member" },
  { prior: "member", implies: "reader" },
];
export const isSeededInference = (prior: { name: string; domainId: string | null }, implied: { name: string; domainId: string | null }) =>
  prior.domainId === null && implied.domainId === null && SEEDED_INFERENCES.some((i) => i.prior === prior.name && i.implies === implied.name);

/** Keystone's `prohibited_implied_role`: no rule may imply admin, so no other role can grow into it. */
export const PROHIBITED_IMPLIED = "admin";
