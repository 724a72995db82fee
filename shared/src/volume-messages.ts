import { z } from "zod";

/** Bus messages of block storage (Cinder-like volumes kept in a host's pool). */

const id = z.string().min(1);

/** Where a new volume's content comes from. */
export const volumeSource = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("empty") }),
  z.object({
    kind: z.literal("image"),
    image: z.object({ id, checksum: z.string(), size: z.number().int().nonnegative(), diskFormat: z.string(), url: z.string().url() }),
  }),
  z.object({ kind: z.literal("snapshot"), snapshotId: id }),
  z.object({ kind: z.literal("volume"), volumeId: id }),
]);
export type VolumeSource = z.infer<typeof volumeSource>;

/** A server's root disk that is a volume (boot from volume); `create` when the host must make it first. */
export const rootVolumeSpec = z.object({
  volumeId: id,
  /** Command id the volume's own outcome is reported under (volume.state). */
  commandId: id,
  create: z.object({ sizeGb: z.number().int().positive(), source: volumeSource }).optional(),
});
export type RootVolumeSpec = z.infer<typeof rootVolumeSpec>;

export const volumeCommandPayloads = {
  "volume.create": z.object({ volumeId: id, sizeGb: z.number().int().positive(), source: volumeSource }),
  "volume.delete": z.object({ volumeId: id }),
  /** `attachment`: the volume is in use by that server's disk, grown live through the hypervisor (Cinder 3.42). */
  "volume.extend": z.object({
    volumeId: id,
    sizeGb: z.number().int().positive(),
    attachment: z.object({ serverId: id, device: z.string().regex(/^vd[a-z]$/) }).optional(),
  }),
  /** `pauseServers`: the servers using the volume, paused around the copy so it is consistent (force snapshot). */
  "volume.snapshot": z.object({ volumeId: id, snapshotId: id, pauseServers: z.array(id).optional() }),
  "volume.snapshot-delete": z.object({ snapshotId: id }),
  /** Hot-plugs the volume into a server's domain as virtio disk `device` (vdb, vdc…). Answered as a call. */
  "volume.attach": z.object({ volumeId: id, serverId: id, device: z.string().regex(/^vd[b-z]$/), readonly: z.boolean() }),
  "volume.detach": z.object({ volumeId: id, serverId: id, device: z.string().regex(/^vd[b-z]$/) }),
} as const;

export const volumeEventPayloads = {
  /** Outcome of volume.create/delete/extend. */
  "volume.state": z.object({
    volumeId: id,
    commandId: id,
    status: z.enum(["available", "error", "deleted"]),
    sizeGb: z.number().int().positive().optional(),
    error: z.string().optional(),
  }),
  "volume.snapshot-state": z.object({
    snapshotId: id,
    commandId: id,
    status: z.enum(["available", "error", "deleted"]),
    error: z.string().optional(),
  }),
  /** The pool's capacity and every volume and snapshot it holds; sent on (re)connect. */
  "volume.inventory": z.object({
    backend: z.string(),
    totalGb: z.number().int().nonnegative(),
    freeGb: z.number().int().nonnegative(),
    volumes: z.array(id),
    snapshots: z.array(id),
    /** The pool's volumes plugged into the host's domains (persistent config), for `servers` (every domain read). */
    attachments: z.object({
      servers: z.array(id),
      disks: z.array(z.object({ serverId: id, volumeId: id, device: z.string() })),
    }).optional(),
  }),
} as const;

export type VolumeEventType = keyof typeof volumeEventPayloads;
export const isVolumeEventType = (t: string): t is VolumeEventType => t in volumeEventPayloads;
