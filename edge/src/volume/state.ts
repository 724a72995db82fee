/**
 * Cinder's volume status machine, as pure data: which statuses an operation may start from and
 * which status it moves the volume to while the host works.
 *
 *   creating → available ⇄ attaching → in-use → detaching → available
 *   available → extending → available (error_extending on failure)
 *   in-use → extending → in-use (from 3.42: the host grows the disk under the running guest)
 *   available|error|error_extending → deleting → (gone)
 *   any failure → error (with a reason)
 */
export type VolumeStatus =
  | "creating" | "available" | "attaching" | "in-use" | "detaching" | "extending" | "deleting"
  | "error" | "error_deleting" | "error_extending" | "maintenance" | "reserved";

export const VOLUME_STATUSES: readonly VolumeStatus[] = [
  "creating", "available", "attaching", "in-use", "detaching", "extending", "deleting",
  "error", "error_deleting", "error_extending", "maintenance", "reserved",
];

export type VolumeOperation = "delete" | "extend" | "extend-attached" | "attach" | "detach" | "snapshot" | "snapshot-force" | "clone" | "update-readonly" | "set-bootable";

interface Rule { from: readonly VolumeStatus[]; to?: VolumeStatus }

const rules: Record<VolumeOperation, Rule> = {
  delete: { from: ["available", "error", "error_extending", "error_deleting"], to: "deleting" },
  extend: { from: ["available"], to: "extending" },
  "extend-attached": { from: ["available", "in-use"], to: "extending" },
  attach: { from: ["available"], to: "attaching" },
  detach: { from: ["in-use"], to: "detaching" },
  snapshot: { from: ["available"] },
  "snapshot-force": { from: ["available", "in-use"] },
  clone: { from: ["available", "in-use"] },
  "update-readonly": { from: ["available"] },
  "set-bootable": { from: ["available", "in-use", "error"] },
};

/** The rule of an operation: the statuses it may start from and the transient status it sets. */
export const volumeRule = (op: VolumeOperation): Rule => rules[op];

export const canStartVolumeOp = (op: VolumeOperation, status: string): boolean => (rules[op].from as readonly string[]).includes(status);

/** The status a finished host operation leaves the volume in. */
export function settledStatus(current: string, outcome: "ok" | "error"): VolumeStatus {
  if (outcome === "ok") return "available";
  if (current === "extending") return "error_extending";
  if (current === "deleting") return "error_deleting";
  return "error";
}

export const isVolumeStatus = (s: string): s is VolumeStatus => (VOLUME_STATUSES as readonly string[]).includes(s);

/** The Cinder message when an operation cannot start from the volume's status. */
export const invalidStatusMessage = (op: VolumeOperation, status: string) =>
  `Invalid volume: Volume status must be ${rules[op].from.filter((s) => !s.startsWith("error_")).join(" or ")} to ${op.replace(/-attached$/, "").replace(/-/g, " ")}, but current status is: ${status}.`;
