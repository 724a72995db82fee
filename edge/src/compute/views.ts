import type { flavors, servers } from "../db/schema.js";
import type { ServerExtras } from "./server-extras.js";
import { type AttachedVolume, volumesAttachedView } from "./server-volumes.js";
import { apiStatus } from "./state.js";

type ServerRow = (typeof servers)["$inferSelect"];
type FlavorRow = (typeof flavors)["$inferSelect"];
const stamp = (s: string | null) => (s ? s.replace(/\.\d+Z$/, "Z") : null);

export interface AddressEntry {
  network: string;
  ip: string;
  mac: string;
}

const link = (base: string, kind: string, id: string, projectId?: string) => [
  { rel: "self", href: `${base}/compute/v2.1/${projectId ? `${projectId}/` : ""}${kind}/${id}` },
  { rel: "bookmark", href: `${base}/compute/${kind}/${id}` },
];

export function flavorSummary(f: FlavorRow, base: string) {
  return { id: f.id, name: f.name, links: link(base, "flavors", f.id) };
}

export function flavorDetail(f: FlavorRow, base: string) {
  return {
    ...flavorSummary(f, base), vcpus: f.vcpus, ram: f.ramMb, disk: f.diskGb, swap: f.swapMb ? f.swapMb : "",
    "OS-FLV-EXT-DATA:ephemeral": f.ephemeralGb, "OS-FLV-DISABLED:disabled": false,
    rxtx_factor: f.rxtxFactor, "os-flavor-access:is_public": f.isPublic,
  };
}

/** Nova's hostId: an opaque per-project hash of the host, so tenants can tell co-location only. */
async function opaqueHostId(projectId: string, hostId: string | null): Promise<string> {
  if (!hostId) return "";
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(projectId + hostId));
  return Array.from(new Uint8Array(digest).slice(0, 28), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** What later microversions add to a server; absent = the 2.1 view. */
export interface ServerViewOpts {
  /** Minor microversion of the request. */
  mv: number;
  extras: ServerExtras;
  /** The server's host status (UP/DOWN/MAINTENANCE), shown to admins from 2.16. */
  hostStatus?: string;
  /** The volumes attached to the server. */
  volumes?: AttachedVolume[];
  /** The security groups of the server's ports, by name. */
  securityGroups?: Array<{ name: string }>;
}

/** Fields microversions 2.3 to 2.26 add, as a pure function of row, version and role. */
export function versionedFields(s: ServerRow, isAdmin: boolean, o: ServerViewOpts): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (o.mv >= 3 && isAdmin) {
    Object.assign(out, {
      "OS-EXT-SRV-ATTR:reservation_id": `r-${s.id.slice(0, 8)}`, "OS-EXT-SRV-ATTR:launch_index": 0,
      "OS-EXT-SRV-ATTR:kernel_id": "", "OS-EXT-SRV-ATTR:ramdisk_id": "",
      "OS-EXT-SRV-ATTR:hostname": s.name.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 63) || "server",
      "OS-EXT-SRV-ATTR:root_device_name": "/dev/vda", "OS-EXT-SRV-ATTR:user_data": null,
    });
  }
  if (o.mv >= 9) out.locked = o.extras.locked;
  if (o.mv >= 16 && isAdmin) out.host_status = s.hostId ? o.hostStatus ?? "UNKNOWN" : "";
  if (o.mv >= 19) out.description = o.extras.description;
  if (o.mv >= 26) out.tags = o.extras.tags;
  return out;
}

export async function serverDetail(s: ServerRow, addrs: AddressEntry[], base: string, isAdmin: boolean, opts?: ServerViewOpts) {
  const addresses: Record<string, unknown[]> = {};
  for (const a of addrs) (addresses[a.network] ??= []).push({ version: 4, addr: a.ip, "OS-EXT-IPS:type": "fixed", "OS-EXT-IPS-MAC:mac_addr": a.mac });
  const view: Record<string, unknown> = {
    id: s.id, name: s.name, status: apiStatus(s.vmState, s.taskState), tenant_id: s.projectId, user_id: s.userId,
    metadata: s.metadata, hostId: await opaqueHostId(s.projectId, s.hostId),
    // A volume-backed server shows "" as its image, as Nova does.
    image: s.imageId ? { id: s.imageId, links: [{ rel: "bookmark", href: `${base}/compute/images/${s.imageId}` }] } : "",
    flavor: { id: s.flavorId, links: [{ rel: "bookmark", href: `${base}/compute/flavors/${s.flavorId}` }] },
    created: stamp(s.createdAt), updated: stamp(s.updatedAt), addresses, accessIPv4: s.accessIpv4, accessIPv6: s.accessIpv6,
    links: link(base, "servers", s.id), "OS-DCF:diskConfig": "MANUAL",
    "OS-EXT-AZ:availability_zone": s.availabilityZone ?? "nova", config_drive: s.configDrive ? "True" : "", key_name: s.keyName,
    "OS-SRV-USG:launched_at": s.launchedAt ? s.launchedAt.replace(/Z$/, "").replace(/(\.\d{6})\d*$/, "$1") : null,
    "OS-SRV-USG:terminated_at": null,
    "OS-EXT-STS:task_state": s.taskState, "OS-EXT-STS:vm_state": s.vmState, "OS-EXT-STS:power_state": s.powerState,
    "os-extended-volumes:volumes_attached": opts ? volumesAttachedView(opts.volumes ?? [], opts.mv) : [],
  };
  // Nova lists the groups of the server's ports, and leaves the key out when there are none.
  if (opts?.securityGroups?.length) view.security_groups = opts.securityGroups;
  // Nova shows progress only while it can mean something.
  if (["ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE", "MIGRATING"].includes(view.status as string)) view.progress = s.progress;
  if (isAdmin) {
    view["OS-EXT-SRV-ATTR:host"] = s.hostId;
    view["OS-EXT-SRV-ATTR:hypervisor_hostname"] = s.hostId;
    view["OS-EXT-SRV-ATTR:instance_name"] = `nimbus-${s.id}`;
  }
  if (opts) Object.assign(view, versionedFields(s, isAdmin, opts));
  if (s.fault && s.vmState === "error") view.fault = { code: s.fault.code, message: s.fault.message, created: stamp(s.fault.created), ...(isAdmin && s.fault.details ? { details: s.fault.details } : {}) };
  return view;
}

export function serverSummary(s: ServerRow, base: string) {
  return { id: s.id, name: s.name, links: link(base, "servers", s.id) };
}

/** Nova's core server view (what PUT /servers/{id} answers): the detail without its extensions (but with 2.9/2.19/2.26 fields). */
const CORE_FIELDS = ["locked", "description", "tags", "id", "name", "status", "image", "flavor", "fault", "user_id", "tenant_id", "created", "updated", "progress", "metadata", "links", "addresses", "hostId", "OS-DCF:diskConfig", "accessIPv4", "accessIPv6"];

export function coreServerView(detail: Record<string, unknown>) {
  const core = Object.fromEntries(Object.entries(detail).filter(([k]) => CORE_FIELDS.includes(k)));
  // Nova answers updates and rebuilds with plain addresses (its extend_address=False): no MAC, no type.
  if (core.addresses) core.addresses = plainAddresses(core.addresses as Record<string, Array<{ version: number; addr: string }>>);
  return core;
}

function plainAddresses(byNetwork: Record<string, Array<{ version: number; addr: string }>>) {
  return Object.fromEntries(Object.entries(byNetwork).map(([net, list]) => [net, list.map(({ version, addr }) => ({ version, addr }))]));
}
