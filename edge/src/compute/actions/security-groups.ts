import { z } from "zod";
import { changeServerSecurityGroup } from "../../network/server-security-groups.js";
import { findServer } from "../servers.js";
import type { Caller } from "./host-action.js";
import { recordAction } from "./instance-actions.js";

export const securityGroupBody = z.object({ name: z.string().trim().min(1) }).passthrough();

/** Nova's addSecurityGroup/removeSecurityGroup actions, applied to the server's Neutron ports. */
export async function changeSecurityGroup(who: Caller, id: string, name: string, op: "add" | "remove") {
  const s = await findServer(who.deps.db, who.auth, id);
  await changeServerSecurityGroup(who.deps.db, who.deps.bus, s, name, op);
  await recordAction(who.deps.db, { serverId: s.id, projectId: s.projectId, action: op === "add" ? "addSecurityGroup" : "removeSecurityGroup", requestId: who.requestId, userId: who.auth.userId });
}
