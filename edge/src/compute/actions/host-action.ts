import { and, eq } from "drizzle-orm";
import type { CommandPayload, CommandType } from "#shared";
import type { Db } from "../../db/client.js";
import { servers } from "../../db/schema.js";
import type { AuthContext, Deps } from "../../lib/context.js";
import { ApiError } from "../../lib/errors.js";
import { assertUnlocked } from "../server-extras.js";
import { claimTask } from "../server-state.js";
import { actionRule, canStart, type ServerAction } from "../state.js";
import { findServer } from "../servers.js";
import { finishEvents, recordAction } from "./instance-actions.js";

type ServerRow = (typeof servers)["$inferSelect"];

/** Who asks, and under which request id the action is recorded. */
export interface Caller {
  deps: Deps;
  auth: AuthContext;
  requestId: string;
}

/** Nova's 409 for an action the server's state does not allow. */
export const conflictFor = (action: string, id: string, vmState: string, taskState: string | null) =>
  new ApiError(409, `Cannot '${action}' instance ${id} while it is in ${taskState ? `task_state ${taskState}` : `vm_state ${vmState}`}`);

/** Ends a task the host never received, so a failed cast leaves the server usable. */
export async function releaseTask(db: Db, serverId: string, commandId: string, reason: string) {
  await db.update(servers).set({ taskState: null, commandId: null, updatedAt: new Date().toISOString() })
    .where(and(eq(servers.id, serverId), eq(servers.commandId, commandId)));
  await finishEvents(db, serverId, reason);
}

export interface HostActionSpec<T extends CommandType> {
  /** The API's action name (as in the 409 message and the instance action). */
  name: string;
  rule: ServerAction;
  command: T;
  /** Nova's event name, e.g. compute_pause_instance. */
  event: string;
  payload: (s: ServerRow) => Promise<CommandPayload<T>> | CommandPayload<T>;
  /** Extra validation before the task is claimed (a 4xx thrown here leaves the server untouched). */
  check?: (s: ServerRow) => Promise<void> | void;
}

/**
 * The common path of a host action: lock and state guard, compare-and-swap of the task,
 * instance action record, cast. The host's state report clears the task; a failed cast clears it here.
 */
export async function castHostAction<T extends CommandType>(who: Caller, id: string, spec: HostActionSpec<T>) {
  const { deps, auth } = who;
  const s = await findServer(deps.db, auth, id);
  await assertUnlocked(deps.db, auth, s.id);
  const rule = actionRule(spec.rule);
  if (!canStart(spec.rule, s.vmState, s.taskState) || !s.hostId) throw conflictFor(spec.name, id, s.vmState, s.taskState);
  await spec.check?.(s);
  const payload = await spec.payload(s);
  const commandId = crypto.randomUUID();
  const claimed = await claimTask(deps.db, id, { from: rule.from, task: rule.task!, commandId });
  if (!claimed) throw conflictFor(spec.name, id, s.vmState, s.taskState);
  await recordAction(deps.db, { serverId: s.id, projectId: s.projectId, action: spec.name, requestId: who.requestId, userId: auth.userId, event: spec.event });
  try {
    await deps.bus.cast(s.hostId, spec.command, payload, commandId);
  } catch (err) {
    await releaseTask(deps.db, s.id, commandId, String(err));
    throw new ApiError(500, `The ${spec.name} request could not be sent to the host.`);
  }
  return claimed;
}
