import type { volumeAttachments, volumeSnapshots, volumes, volumeTypes } from "../db/schema.js";

type VolumeRow = typeof volumes.$inferSelect;
type AttachmentRow = typeof volumeAttachments.$inferSelect;
type SnapshotRow = typeof volumeSnapshots.$inferSelect;
type TypeRow = typeof volumeTypes.$inferSelect;

/** Cinder's links for a resource under the project's v3 endpoint. */
export const links = (base: string, projectId: string, coll: string, id: string) => [
  { rel: "self", href: `${base}/volume/v3/${projectId}/${coll}/${id}` },
  { rel: "bookmark", href: `${base}/volume/${projectId}/${coll}/${id}` },
];

/** Cinder's `os-vol-host-attr:host` is `host@backend#pool`. */
export const hostAttr = (v: Pick<VolumeRow, "hostId" | "backend">) => (v.hostId ? `${v.hostId}@${v.backend ?? "dir"}#${v.backend ?? "dir"}` : null);

export const attachmentView = (a: AttachmentRow) => ({
  server_id: a.serverId, attachment_id: a.id, attached_at: a.attachedAt, host_name: null, volume_id: a.volumeId, device: `/dev/${a.device}`, id: a.volumeId,
});

export interface VolumeViewContext {
  base: string;
  attachments: AttachmentRow[];
  typeName: string | null;
}

/** The 3.0 volume body as create and update return it. */
export function volumeDetail(v: VolumeRow, ctx: VolumeViewContext) {
  return {
    id: v.id, name: v.name, description: v.description, status: v.status, size: v.size,
    availability_zone: v.availabilityZone, created_at: v.createdAt, updated_at: v.updatedAt,
    attachments: ctx.attachments.map(attachmentView), links: links(ctx.base, v.projectId, "volumes", v.id),
    volume_type: ctx.typeName, snapshot_id: v.snapshotId, source_volid: v.sourceVolid,
    metadata: { ...v.metadata, ...(v.readonly ? { readonly: v.readonly } : {}) },
    user_id: v.userId, bootable: v.bootable ? "true" : "false", encrypted: false, multiattach: false,
    replication_status: null, consistencygroup_id: null, migration_status: null,
  };
}

/** Show and list-detail add the extension attributes (host and migration ones for admins only). */
export function volumeShow(v: VolumeRow, ctx: VolumeViewContext, isAdmin: boolean) {
  return {
    ...volumeDetail(v, ctx),
    "os-vol-tenant-attr:tenant_id": v.projectId,
    ...(v.imageMetadata ? { volume_image_metadata: v.imageMetadata } : {}),
    ...(isAdmin ? { "os-vol-host-attr:host": hostAttr(v), "os-vol-mig-status-attr:migstat": null, "os-vol-mig-status-attr:name_id": null } : {}),
  };
}

export const volumeSummary = (v: VolumeRow, base: string) => ({ id: v.id, name: v.name, links: links(base, v.projectId, "volumes", v.id) });

export const snapshotView = (s: SnapshotRow) => ({
  id: s.id, name: s.name, description: s.description, volume_id: s.volumeId, status: s.status, size: s.size,
  metadata: s.metadata, created_at: s.createdAt, updated_at: s.updatedAt,
});

export const snapshotDetail = (s: SnapshotRow) => ({
  ...snapshotView(s),
  "os-extended-snapshot-attributes:progress": s.progress ?? (s.status === "available" ? "100%" : "0%"),
  "os-extended-snapshot-attributes:project_id": s.projectId,
});

export const typeView = (t: TypeRow) => ({
  id: t.id, name: t.name, description: t.description, is_public: t.isPublic, "os-volume-type-access:is_public": t.isPublic,
  extra_specs: t.extraSpecs,
});
