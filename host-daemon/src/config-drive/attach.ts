import { configDriveFiles, type CommandPayload } from "#shared";
import type { Revert } from "../revert.js";
import type { ConfigDriveWriter } from "./writer.js";

/**
 * Writes the server's config drive when it asked for one (or the host forces them) and registers
 * its removal; returns the ISO path for the domain, or undefined when it gets none.
 */
export async function attachConfigDrive(
  d: { configDrive?: ConfigDriveWriter; forceConfigDrive?: boolean },
  p: CommandPayload<"server.create">,
  revert: Revert,
): Promise<string | undefined> {
  const g = p.guestConfig;
  if (!d.configDrive || !g || !(g.configDrive || d.forceConfigDrive)) return undefined;
  const path = await d.configDrive.create(p.serverId, configDriveFiles({ serverId: p.serverId, name: p.name, ports: p.ports, config: g }));
  revert.add(() => d.configDrive!.remove(p.serverId));
  return path;
}
