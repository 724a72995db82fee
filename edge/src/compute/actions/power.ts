import type { CommandType } from "#shared";
import type { ServerAction } from "../state.js";
import { castHostAction, type Caller } from "./host-action.js";

type PowerAction = "pause" | "unpause" | "suspend" | "resume";

const commands: Record<PowerAction, CommandType> = {
  pause: "server.pause", unpause: "server.unpause", suspend: "server.suspend", resume: "server.resume",
};

/** pause/unpause (libvirt suspend/resume of the vCPUs) and suspend/resume (state saved to disk). */
export async function powerAction(who: Caller, id: string, action: PowerAction) {
  await castHostAction(who, id, {
    name: action, rule: action as ServerAction, command: commands[action] as "server.pause",
    event: `compute_${action}_instance`, payload: (s) => ({ serverId: s.id }),
  });
}
