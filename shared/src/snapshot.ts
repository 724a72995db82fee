import { z } from "zod";

/** Nova createImage on the host: convert the server's disk chain to one qcow2 and upload it. */
export const snapshotCommands = {
  "server.snapshot": z.object({
    serverId: z.string().min(1),
    imageId: z.string().min(1),
    /** Where the host PUTs the qcow2 (and DELETEs the image on failure) with its own credentials. */
    uploadUrl: z.string().url(),
  }),
} as const;
