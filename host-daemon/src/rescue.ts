import type { CommandPayload } from "#shared";
import { defineGuest, isUp, type MigrationContext } from "./migration.js";
import { Revert } from "./revert.js";

/**
 * Nova rescue: the guest is powered off and defined again booting from a fresh overlay of the
 * rescue image, its own disk attached second (vdb). On failure the guest is defined again as it was.
 */
export async function rescue(h: MigrationContext, commandId: string, p: CommandPayload<"server.rescue">) {
  const name = h.name(p.serverId);
  const state = await h.compute.state(name);
  if (state === null) throw new Error("The domain does not exist on its host.");
  try {
    await h.compute.stop(name, h.stopGraceSeconds);
    const base = await h.storage.ensureImage(p.image);
    await Revert.run(async (revert) => {
      const rescueDisk = await h.storage.createRescueDisk(p.serverId, base);
      revert.add(() => h.storage.deleteRescueDisk(p.serverId));
      await h.compute.destroy(name);
      await defineGuest(h, { ...p, powerOn: true }, revert, { diskPath: rescueDisk, extraDisks: [{ path: h.storage.diskPath(p.serverId), format: "qcow2" }] });
    });
  } catch (err) {
    if ((await h.compute.state(name)) === null) await Revert.run((revert) => defineGuest(h, { ...p, powerOn: isUp(state) }, revert)).catch(() => undefined);
    else if (isUp(state)) await h.compute.start(name).catch(() => undefined);
    await h.report(commandId, p.serverId, undefined, { message: `Rescue failed: ${(err as Error).message}` });
    throw err;
  }
  return h.report(commandId, p.serverId, "rescued");
}

/** Unrescue: the rescue domain and disk go; the guest boots from its own disk again. */
export async function unrescue(h: MigrationContext, commandId: string, p: CommandPayload<"server.unrescue">) {
  const name = h.name(p.serverId);
  try {
    await h.compute.destroy(name);
    await h.storage.deleteRescueDisk(p.serverId);
    await Revert.run((revert) => defineGuest(h, p, revert));
  } catch (err) {
    await h.fail(commandId, p.serverId, err as Error);
    throw err;
  }
  return h.report(commandId, p.serverId);
}
