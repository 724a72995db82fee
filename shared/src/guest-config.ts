import { z } from "zod";
import type { PortSpec } from "./messages.js";

/**
 * What a guest learns about itself (config drive and metadata service), carried in
 * `server.create`; the documents below are built from it on the host.
 */
export const guestConfig = z.object({
  /** The user asked for a config drive (`config_drive: true`). */
  configDrive: z.boolean(),
  hostname: z.string(),
  projectId: z.string(),
  availabilityZone: z.string(),
  flavorName: z.string(),
  imageId: z.string(),
  launchIndex: z.number().int().nonnegative(),
  meta: z.record(z.string(), z.string()),
  publicKeys: z.array(z.object({ name: z.string(), type: z.string(), data: z.string() })),
  /** Base64 as the user sent it; null when none. */
  userData: z.string().nullable(),
  /** DNS servers of the subnets the ports are on. */
  dnsNameservers: z.array(z.string()),
});
export type GuestConfig = z.infer<typeof guestConfig>;

export interface GuestIdentity {
  serverId: string;
  name: string;
  ports: PortSpec[];
  config: GuestConfig;
}

/** Nova's hostname from a display name: lowercase letters, digits and hyphens, at most 63. */
export function sanitizeHostname(name: string): string {
  const h = name.toLowerCase().replace(/[^a-z0-9.-]+/g, "-").replace(/\.+/g, "-").replace(/^-+|-+$/g, "").slice(0, 63).replace(/-+$/, "");
  return h || "server";
}

/** Dotted netmask of an IPv4 prefix length. */
export function netmaskOf(prefixLength: number): string {
  const bits = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
  return [24, 16, 8, 0].map((s) => (bits >>> s) & 255).join(".");
}

/** `openstack/latest/meta_data.json`, Nova's shape. */
export function metaDataJson(g: GuestIdentity) {
  const c = g.config;
  return {
    uuid: g.serverId,
    meta: c.meta,
    public_keys: Object.fromEntries(c.publicKeys.map((k) => [k.name, k.data])),
    keys: c.publicKeys.map((k) => ({ name: k.name, type: k.type, data: k.data })),
    hostname: c.hostname,
    name: g.name,
    launch_index: c.launchIndex,
    availability_zone: c.availabilityZone,
    project_id: c.projectId,
    devices: [],
  };
}

const linkId = (p: PortSpec) => `tap${p.portId.slice(0, 11)}`;

/** `openstack/latest/network_data.json`: one link and one static IPv4 network per port. */
export function networkDataJson(g: GuestIdentity) {
  const dns = g.config.dnsNameservers.map((address) => ({ type: "dns", address }));
  return {
    links: g.ports.map((p) => ({ id: linkId(p), vif_id: p.portId, type: "bridge", mtu: p.mtu, ethernet_mac_address: p.mac })),
    networks: g.ports.map((p, i) => ({
      id: `network${i}`, type: "ipv4", link: linkId(p), ip_address: p.ip, netmask: netmaskOf(p.prefixLength),
      routes: p.gateway ? [{ network: "0.0.0.0", netmask: "0.0.0.0", gateway: p.gateway }] : [],
      network_id: p.networkId, services: dns,
    })),
    services: dns,
  };
}

/** EC2-style instance id from the server's UUID (Nova derives it from an integer id). */
export const ec2InstanceId = (serverId: string) => `i-${serverId.replace(/-/g, "").slice(0, 8)}`;

/** `ec2/latest/meta-data.json` and the metadata service's `/latest/meta-data/` tree. */
export function ec2MetaData(g: GuestIdentity) {
  const c = g.config;
  const ip = g.ports[0]?.ip ?? "";
  return {
    "ami-id": c.imageId,
    "ami-launch-index": c.launchIndex,
    "ami-manifest-path": "FIXME",
    "block-device-mapping": { ami: "vda", root: "/dev/vda" },
    hostname: c.hostname,
    "instance-action": "none",
    "instance-id": ec2InstanceId(g.serverId),
    "instance-type": c.flavorName,
    "local-hostname": c.hostname,
    "local-ipv4": ip,
    placement: { "availability-zone": c.availabilityZone },
    "public-hostname": c.hostname,
    "public-ipv4": "",
    "public-keys": Object.fromEntries(c.publicKeys.map((k, i) => [String(i), { "openssh-key": k.data }])),
    "reservation-id": `r-${g.serverId.replace(/-/g, "").slice(8, 16)}`,
    "security-groups": ["default"],
  };
}

/** Decoded user data bytes, or null. */
export const userDataBytes = (c: GuestConfig): Uint8Array | null =>
  c.userData === null ? null : Uint8Array.from(atob(c.userData), (ch) => ch.charCodeAt(0));

/** Every file of the config drive (paths relative to its root), as Nova lays it out. */
export function configDriveFiles(g: GuestIdentity): Record<string, string | Uint8Array> {
  const json = (v: unknown) => JSON.stringify(v);
  const files: Record<string, string | Uint8Array> = {};
  const ud = userDataBytes(g.config);
  for (const version of ["latest"]) {
    const dir = `openstack/${version}`;
    files[`${dir}/meta_data.json`] = json(metaDataJson(g));
    files[`${dir}/network_data.json`] = json(networkDataJson(g));
    files[`${dir}/vendor_data.json`] = "{}";
    files[`${dir}/vendor_data2.json`] = "{}";
    if (ud) files[`${dir}/user_data`] = ud;
  }
  files["ec2/latest/meta-data.json"] = json(ec2MetaData(g));
  if (ud) files["ec2/latest/user-data"] = ud;
  return files;
}
