import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { images } from "../../edge/src/db/schema.js";
import { ensureNetwork, seedIdentity } from "../../edge/src/node/bootstrap.js";
import { setLimits } from "../../edge/src/network/quota-store.js";
import { makeApi, type Api } from "./harness.js";

/**
 * Who may call what: for every route, a reader, member and admin of project A and a member of
 * project B, against resources of project A. Outcomes: "ok" (2xx), 403, or 404 (invisible).
 */
type Who = "readerA" | "memberA" | "adminA" | "memberB";
type Outcome = "ok" | 400 | 403 | 404 | 409;
interface Case { name: string; make: () => Promise<{ method: string; path: string; json?: unknown; body?: BodyInit; headers?: Record<string, string> }>; expect: Record<Who, Outcome> }

let api: Api;
const tokens = {} as Record<Who, string>;
let imageA = "";
let serverA = "";

const read: Record<Who, Outcome> = { readerA: "ok", memberA: "ok", adminA: "ok", memberB: 404 };
const write: Record<Who, Outcome> = { readerA: 403, memberA: "ok", adminA: "ok", memberB: 404 };
const listOwn: Record<Who, Outcome> = { readerA: "ok", memberA: "ok", adminA: "ok", memberB: "ok" };
const createOwn: Record<Who, Outcome> = { readerA: 403, memberA: "ok", adminA: "ok", memberB: "ok" };
const adminOnly: Record<Who, Outcome> = { readerA: 403, memberA: 403, adminA: "ok", memberB: 403 };

async function newServer() {
  const res = await api.request("/compute/v2.1/servers", { method: "POST", token: tokens.memberA, json: { server: { name: "m", imageRef: imageA, flavorRef: "1", networks: [{ uuid: api.privateNet }] } } });
  return (await res.json()).server.id as string;
}
async function newGroup() {
  const res = await api.request("/compute/v2.1/os-server-groups", { method: "POST", token: tokens.memberA, json: { server_group: { name: "g", policies: ["anti-affinity"] } } });
  return (await res.json()).server_group.id as string;
}
async function newNetwork() {
  const res = await api.request("/network/v2.0/networks", { method: "POST", token: tokens.memberA, json: { network: { name: "n" } } });
  return (await res.json()).network.id as string;
}
async function newImage(withData = false) {
  const img = await (await api.request("/image/v2/images", { method: "POST", token: tokens.memberA, json: { name: "i", disk_format: "raw", container_format: "bare" } })).json();
  if (withData) await api.request(`/image/v2/images/${img.id}/file`, { method: "PUT", token: tokens.memberA, body: new Uint8Array([1, 2, 3]) });
  return img.id as string;
}
async function newPort() {
  const res = await api.request("/network/v2.0/ports", { method: "POST", token: tokens.memberA, json: { port: { network_id: await newNetworkWithSubnet() } } });
  return (await res.json()).port.id as string;
}
/** A volume of project A (no pool in this harness: it lands in `error`, which every action below accepts). */
async function newVolume() {
  const res = await api.request(`/volume/v3/${api.projects.demo}/volumes`, { method: "POST", token: tokens.memberA, json: { volume: { size: 1 } } });
  return (await res.json()).volume.id as string;
}
const vol = (path: string) => `/volume/v3/${api.projects.demo}${path}`;
async function newNetworkWithSubnet() {
  const id = await newNetwork();
  await api.request("/network/v2.0/subnets", { method: "POST", token: tokens.memberA, json: { subnet: { network_id: id, cidr: "192.168.50.0/24", ip_version: 4 } } });
  return id;
}

// The matrix makes many routers and groups in project A: lift Neutron's default quotas there.
const noQuotaA = () => setLimits(api.db, api.projects.demo, { router: -1, security_group: -1, security_group_rule: -1 });
async function newRouter() {
  await noQuotaA();
  const res = await api.request("/network/v2.0/routers", { method: "POST", token: tokens.memberA, json: { router: { name: "r" } } });
  return (await res.json()).router.id as string;
}
async function newSecurityGroup() {
  await noQuotaA();
  const res = await api.request("/network/v2.0/security-groups", { method: "POST", token: tokens.memberA, json: { security_group: { name: "sg" } } });
  return (await res.json()).security_group.id as string;
}
async function newSecurityGroupRule() {
  const json = { security_group_rule: { security_group_id: await newSecurityGroup(), direction: "ingress", protocol: "tcp", port_range_min: 22 } };
  const res = await api.request("/network/v2.0/security-group-rules", { method: "POST", token: tokens.memberA, json });
  return (await res.json()).security_group_rule.id as string;
}
const publicNet = () => ensureNetwork(api.db, { name: "public", projectId: api.projects.admin, cidr: "172.24.4.0/24", external: true, dhcp: false });
async function newFloatingIp() {
  const res = await api.request("/network/v2.0/floatingips", { method: "POST", token: tokens.memberA, json: { floatingip: { floating_network_id: await publicNet() } } });
  return (await res.json()).floatingip.id as string;
}
const adminOnlyRoute: Record<Who, Outcome> = { readerA: 403, memberA: 403, adminA: "ok", memberB: 403 };
const ownProjectRead: Record<Who, Outcome> = { readerA: "ok", memberA: "ok", adminA: "ok", memberB: 403 };

const cases: Case[] = [
  { name: "GET flavors", make: async () => ({ method: "GET", path: "/compute/v2.1/flavors" }), expect: listOwn },
  { name: "GET servers", make: async () => ({ method: "GET", path: "/compute/v2.1/servers/detail" }), expect: listOwn },
  { name: "GET server", make: async () => ({ method: "GET", path: `/compute/v2.1/servers/${serverA}` }), expect: read },
  // B cannot even boot from A's private image: to B it does not exist.
  { name: "POST server", make: async () => ({ method: "POST", path: "/compute/v2.1/servers", json: { server: { name: "x", imageRef: imageA, flavorRef: "1", networks: "none" } } }), expect: { ...createOwn, memberB: 400 } },
  { name: "DELETE server", make: async () => ({ method: "DELETE", path: `/compute/v2.1/servers/${await newServer()}` }), expect: write },
  { name: "server action os-stop", make: async () => ({ method: "POST", path: `/compute/v2.1/servers/${await newServer()}/action`, json: { "os-stop": null } }), expect: { ...write, memberA: 409, adminA: 409 } }, // allowed, but a BUILD server cannot stop yet
  { name: "server action lock", make: async () => ({ method: "POST", path: `/compute/v2.1/servers/${await newServer()}/action`, json: { lock: null } }), expect: write },
  { name: "server action pause", make: async () => ({ method: "POST", path: `/compute/v2.1/servers/${await newServer()}/action`, json: { pause: null } }), expect: { ...write, memberA: 409, adminA: 409 } }, // a server without a host cannot pause
  { name: "server action migrate", make: async () => ({ method: "POST", path: `/compute/v2.1/servers/${await newServer()}/action`, json: { migrate: null } }), expect: { ...adminOnly, adminA: 409, memberB: 404 } }, // admin only; a BUILD server cannot migrate
  { name: "server action rescue", make: async () => ({ method: "POST", path: `/compute/v2.1/servers/${await newServer()}/action`, json: { rescue: null } }), expect: { ...write, memberA: 409, adminA: 409 } }, // a BUILD server cannot be rescued
  { name: "GET os-migrations", make: async () => ({ method: "GET", path: "/compute/v2.1/os-migrations" }), expect: adminOnly },
  { name: "GET server instance actions", make: async () => ({ method: "GET", path: `/compute/v2.1/servers/${serverA}/os-instance-actions` }), expect: read },
  { name: "GET server tags", make: async () => ({ method: "GET", path: `/compute/v2.1/servers/${serverA}/tags`, headers: { "OpenStack-API-Version": "compute 2.26" } }), expect: read },
  { name: "PUT server tag", make: async () => ({ method: "PUT", path: `/compute/v2.1/servers/${serverA}/tags/t1`, headers: { "OpenStack-API-Version": "compute 2.26" } }), expect: write },
  { name: "GET server metadata", make: async () => ({ method: "GET", path: `/compute/v2.1/servers/${serverA}/metadata` }), expect: read },
  { name: "POST server metadata", make: async () => ({ method: "POST", path: `/compute/v2.1/servers/${serverA}/metadata`, json: { metadata: { k: "v" } } }), expect: write },
  { name: "GET images", make: async () => ({ method: "GET", path: "/image/v2/images" }), expect: listOwn },
  { name: "GET image", make: async () => ({ method: "GET", path: `/image/v2/images/${await newImage()}` }), expect: read },
  { name: "POST image", make: async () => ({ method: "POST", path: "/image/v2/images", json: { name: "x" } }), expect: createOwn },
  { name: "DELETE image", make: async () => ({ method: "DELETE", path: `/image/v2/images/${await newImage()}` }), expect: write },
  { name: "PUT image file", make: async () => ({ method: "PUT", path: `/image/v2/images/${await newImage()}/file`, body: new Uint8Array([1]) }), expect: write },
  { name: "GET image file", make: async () => ({ method: "GET", path: `/image/v2/images/${await newImage(true)}/file` }), expect: read },
  { name: "PUT image tag", make: async () => ({ method: "PUT", path: `/image/v2/images/${await newImage()}/tags/t` }), expect: write },
  { name: "POST image deactivate", make: async () => ({ method: "POST", path: `/image/v2/images/${await newImage(true)}/actions/deactivate` }), expect: write },
  { name: "POST image member", make: async () => ({ method: "POST", path: `/image/v2/images/${await newImage()}/members`, json: { member: "p" } }), expect: write },
  { name: "GET image members", make: async () => ({ method: "GET", path: `/image/v2/images/${await newImage()}/members` }), expect: read },
  { name: "PUT image stage", make: async () => ({ method: "PUT", path: `/image/v2/images/${await newImage()}/stage`, body: new Uint8Array([1]) }), expect: write },
  { name: "GET image schema", make: async () => ({ method: "GET", path: "/image/v2/schemas/image" }), expect: listOwn },
  { name: "GET image import info", make: async () => ({ method: "GET", path: "/image/v2/info/import" }), expect: listOwn },
  { name: "GET networks", make: async () => ({ method: "GET", path: "/network/v2.0/networks" }), expect: listOwn },
  { name: "GET network", make: async () => ({ method: "GET", path: `/network/v2.0/networks/${await newNetwork()}` }), expect: read },
  { name: "POST network", make: async () => ({ method: "POST", path: "/network/v2.0/networks", json: { network: { name: "x" } } }), expect: createOwn },
  { name: "DELETE network", make: async () => ({ method: "DELETE", path: `/network/v2.0/networks/${await newNetwork()}` }), expect: write },
  { name: "POST subnet", make: async () => ({ method: "POST", path: "/network/v2.0/subnets", json: { subnet: { network_id: await newNetwork(), cidr: "10.9.0.0/24", ip_version: 4 } } }), expect: { ...write, memberB: 404 } },
  { name: "PUT network", make: async () => ({ method: "PUT", path: `/network/v2.0/networks/${await newNetwork()}`, json: { network: { name: "y" } } }), expect: write },
  { name: "PUT port", make: async () => ({ method: "PUT", path: `/network/v2.0/ports/${await newPort()}`, json: { port: { name: "y" } } }), expect: write },
  { name: "GET routers", make: async () => ({ method: "GET", path: "/network/v2.0/routers" }), expect: listOwn },
  { name: "GET router", make: async () => ({ method: "GET", path: `/network/v2.0/routers/${await newRouter()}` }), expect: read },
  { name: "POST router", make: async () => ({ method: "POST", path: "/network/v2.0/routers", json: { router: { name: "x" } } }), expect: createOwn },
  { name: "PUT router", make: async () => ({ method: "PUT", path: `/network/v2.0/routers/${await newRouter()}`, json: { router: { name: "y" } } }), expect: write },
  { name: "DELETE router", make: async () => ({ method: "DELETE", path: `/network/v2.0/routers/${await newRouter()}` }), expect: write },
  { name: "PUT add_router_interface", make: async () => ({ method: "PUT", path: `/network/v2.0/routers/${await newRouter()}/add_router_interface`, json: { port_id: await newPort() } }), expect: write },
  { name: "GET floatingips", make: async () => ({ method: "GET", path: "/network/v2.0/floatingips" }), expect: listOwn },
  { name: "GET floatingip", make: async () => ({ method: "GET", path: `/network/v2.0/floatingips/${await newFloatingIp()}` }), expect: read },
  { name: "POST floatingip", make: async () => ({ method: "POST", path: "/network/v2.0/floatingips", json: { floatingip: { floating_network_id: await publicNet() } } }), expect: createOwn },
  { name: "DELETE floatingip", make: async () => ({ method: "DELETE", path: `/network/v2.0/floatingips/${await newFloatingIp()}` }), expect: write },
  { name: "GET security-groups", make: async () => ({ method: "GET", path: "/network/v2.0/security-groups" }), expect: listOwn },
  { name: "GET security-group", make: async () => ({ method: "GET", path: `/network/v2.0/security-groups/${await newSecurityGroup()}` }), expect: read },
  { name: "POST security-group", make: async () => ({ method: "POST", path: "/network/v2.0/security-groups", json: { security_group: { name: "x" } } }), expect: createOwn },
  { name: "DELETE security-group", make: async () => ({ method: "DELETE", path: `/network/v2.0/security-groups/${await newSecurityGroup()}` }), expect: write },
  { name: "GET security-group-rule", make: async () => ({ method: "GET", path: `/network/v2.0/security-group-rules/${await newSecurityGroupRule()}` }), expect: read },
  { name: "DELETE security-group-rule", make: async () => ({ method: "DELETE", path: `/network/v2.0/security-group-rules/${await newSecurityGroupRule()}` }), expect: write },
  { name: "GET quotas", make: async () => ({ method: "GET", path: "/network/v2.0/quotas" }), expect: adminOnlyRoute },
  { name: "GET quota", make: async () => ({ method: "GET", path: `/network/v2.0/quotas/${api.projects.demo}` }), expect: ownProjectRead },
  { name: "PUT quota", make: async () => ({ method: "PUT", path: `/network/v2.0/quotas/${api.projects.demo}`, json: { quota: { port: 400 } } }), expect: adminOnlyRoute },
  { name: "GET extensions", make: async () => ({ method: "GET", path: "/network/v2.0/extensions" }), expect: listOwn },
  { name: "GET os-interface", make: async () => ({ method: "GET", path: `/compute/v2.1/servers/${serverA}/os-interface` }), expect: read },
  { name: "POST os-interface", make: async () => ({ method: "POST", path: `/compute/v2.1/servers/${await newServer()}/os-interface`, json: { interfaceAttachment: { net_id: api.privateNet } } }), expect: { ...write, memberA: 409, adminA: 409 } }, // allowed, but a BUILD server takes no hotplug
  { name: "GET port", make: async () => ({ method: "GET", path: `/network/v2.0/ports/${await newPort()}` }), expect: read },
  { name: "DELETE port", make: async () => ({ method: "DELETE", path: `/network/v2.0/ports/${await newPort()}` }), expect: write },
  // Compute resources: quotas are readable by their project, changed by admins; cloud-wide views are admin-only.
  { name: "GET limits", make: async () => ({ method: "GET", path: "/compute/v2.1/limits" }), expect: listOwn },
  { name: "GET compute quota set", make: async () => ({ method: "GET", path: `/compute/v2.1/os-quota-sets/${api.projects.demo}` }), expect: { ...read, memberB: 403 } },
  { name: "PUT compute quota set", make: async () => ({ method: "PUT", path: `/compute/v2.1/os-quota-sets/${api.projects.demo}`, json: { quota_set: { instances: 1000 } } }), expect: adminOnly },
  { name: "POST flavor", make: async () => ({ method: "POST", path: "/compute/v2.1/flavors", json: { flavor: { name: `f-${crypto.randomUUID()}`, ram: 64, vcpus: 1, disk: 0 } } }), expect: adminOnly },
  { name: "POST flavor extra specs", make: async () => ({ method: "POST", path: "/compute/v2.1/flavors/1/os-extra_specs", json: { extra_specs: { k: "v" } } }), expect: adminOnly },
  { name: "GET aggregates", make: async () => ({ method: "GET", path: "/compute/v2.1/os-aggregates" }), expect: adminOnly },
  { name: "GET hypervisors", make: async () => ({ method: "GET", path: "/compute/v2.1/os-hypervisors/detail" }), expect: adminOnly },
  { name: "GET services", make: async () => ({ method: "GET", path: "/compute/v2.1/os-services" }), expect: adminOnly },
  { name: "GET availability zones", make: async () => ({ method: "GET", path: "/compute/v2.1/os-availability-zone" }), expect: listOwn },
  { name: "POST server group", make: async () => ({ method: "POST", path: "/compute/v2.1/os-server-groups", json: { server_group: { name: "g", policies: ["affinity"] } } }), expect: createOwn },
  { name: "GET server group", make: async () => ({ method: "GET", path: `/compute/v2.1/os-server-groups/${await newGroup()}` }), expect: read },
  { name: "DELETE server group", make: async () => ({ method: "DELETE", path: `/compute/v2.1/os-server-groups/${await newGroup()}` }), expect: write },
  { name: "GET volumes", make: async () => ({ method: "GET", path: vol("/volumes/detail") }), expect: listOwn },
  { name: "GET volumes summary", make: async () => ({ method: "GET", path: vol("/volumes/summary"), headers: { "OpenStack-API-Version": "volume 3.12" } }), expect: listOwn },
  { name: "GET volume", make: async () => ({ method: "GET", path: vol(`/volumes/${await newVolume()}`) }), expect: read },
  { name: "POST volume", make: async () => ({ method: "POST", path: vol("/volumes"), json: { volume: { size: 1 } } }), expect: createOwn },
  { name: "PUT volume", make: async () => ({ method: "PUT", path: vol(`/volumes/${await newVolume()}`), json: { volume: { name: "n" } } }), expect: write },
  { name: "DELETE volume", make: async () => ({ method: "DELETE", path: vol(`/volumes/${await newVolume()}`) }), expect: write },
  { name: "POST volume metadata", make: async () => ({ method: "POST", path: vol(`/volumes/${await newVolume()}/metadata`), json: { metadata: { a: "b" } } }), expect: write },
  { name: "volume action os-set_bootable", make: async () => ({ method: "POST", path: vol(`/volumes/${await newVolume()}/action`), json: { "os-set_bootable": { bootable: true } } }), expect: write },
  { name: "volume action os-reset_status", make: async () => ({ method: "POST", path: vol(`/volumes/${await newVolume()}/action`), json: { "os-reset_status": { status: "available" } } }), expect: adminOnly },
  { name: "volume action os-force_delete", make: async () => ({ method: "POST", path: vol(`/volumes/${await newVolume()}/action`), json: { "os-force_delete": {} } }), expect: adminOnly },
  { name: "POST snapshot", make: async () => ({ method: "POST", path: vol("/snapshots"), json: { snapshot: { volume_id: await newVolume() } } }), expect: { ...write, memberA: 400, adminA: 400 } }, // allowed, but an error volume cannot be snapshotted
  { name: "GET snapshots", make: async () => ({ method: "GET", path: vol("/snapshots/detail") }), expect: listOwn },
  { name: "GET volume types", make: async () => ({ method: "GET", path: vol("/types") }), expect: listOwn },
  { name: "POST volume type", make: async () => ({ method: "POST", path: vol("/types"), json: { volume_type: { name: `t-${crypto.randomUUID()}` } } }), expect: adminOnly },
  { name: "GET volume quota set", make: async () => ({ method: "GET", path: vol(`/os-quota-sets/${api.projects.demo}`) }), expect: { ...read, memberB: 403 } },
  { name: "PUT volume quota set", make: async () => ({ method: "PUT", path: vol(`/os-quota-sets/${api.projects.demo}`), json: { quota_set: { volumes: 1000 } } }), expect: adminOnly },
  { name: "GET volume limits", make: async () => ({ method: "GET", path: vol("/limits") }), expect: listOwn },
  { name: "GET server volume attachments", make: async () => ({ method: "GET", path: `/compute/v2.1/servers/${serverA}/os-volume_attachments` }), expect: read },
];

beforeAll(async () => {
  api = await makeApi();
  await seedIdentity(api.db, [{ user: "anna", password: "annapw", project: "demo", role: "admin" }]);
  [tokens.readerA, tokens.memberA, tokens.adminA, tokens.memberB] = await Promise.all([
    api.login("rita", "ritapw", "demo"), api.login("alice", "alicepw", "demo"), api.login("anna", "annapw", "demo"), api.login("bob", "bobpw", "other"),
  ]);
  imageA = crypto.randomUUID();
  await api.db.insert(images).values({ id: imageA, name: "a", owner: api.projects.demo, visibility: "private", status: "active", diskFormat: "qcow2", containerFormat: "bare", checksum: "0".repeat(32), size: 1 });
  await api.unlimitedCompute(api.projects.demo);
  serverA = await newServer();
  await api.request(vol(`/os-quota-sets/${api.projects.demo}`), { method: "PUT", token: tokens.adminA, json: { quota_set: { volumes: 1000 } } });
});
afterAll(() => api.cleanup());

describe("authorisation matrix", () => {
  for (const c of cases) {
    for (const who of Object.keys(c.expect) as Who[]) {
      it(`${c.name} as ${who} → ${c.expect[who]}`, async () => {
        const { method, path, json, body, headers } = await c.make();
        const res = await api.request(path, { method, token: tokens[who], json, body, headers });
        const want = c.expect[who];
        if (want === "ok") expect(res.status, await res.clone().text()).toBeLessThan(300);
        else expect(res.status, await res.clone().text()).toBe(want);
      });
    }
  }
});
