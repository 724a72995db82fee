import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEnvelope } from "../../shared/src/index.js";
import { ingest } from "../../edge/src/bus/ingest.js";
import { ensureNetwork } from "../../edge/src/node/bootstrap.js";
import { makeApi, type Api } from "./harness.js";

let api: Api;
let alice: string, bob: string, admin: string;
let publicNet: string;

beforeAll(async () => {
  api = await makeApi();
  ({ alice, bob } = await api.memberTokens());
  admin = await api.login("admin", "adminpw", "admin");
  publicNet = await ensureNetwork(api.db, { name: "public", projectId: api.projects.admin, cidr: "172.24.4.0/24", external: true, dhcp: false });
});
afterAll(() => api.cleanup());

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const call = async (method: string, path: string, token: string, json?: unknown): Promise<{ status: number; body: Json }> => {
  const res = await api.request(`/network/v2.0/${path}`, { method, token, json });
  return { status: res.status, body: res.status === 204 ? {} : await res.json() };
};
const make = async (path: string, token: string, json: Json) => {
  const r = await call("POST", path, token, json);
  if (r.status !== 201) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return Object.values(r.body)[0] as Json;
};

async function tenantNet(token: string, cidr: string) {
  const net = await make("networks", token, { network: { name: "t" } });
  const subnet = await make("subnets", token, { subnet: { network_id: net.id, cidr, ip_version: 4 } });
  return { net, subnet };
}

describe("routers and floating IPs", () => {
  it("routes a floating IP only through a router with a gateway and an interface on the port's subnet", async () => {
    const { net, subnet } = await tenantNet(alice, "10.50.0.0/24");
    const port = await make("ports", alice, { port: { network_id: net.id } });
    const fip = await make("floatingips", alice, { floatingip: { floating_network_id: publicNet } });
    expect(fip.status).toBe("DOWN");
    const noRoute = await call("PUT", `floatingips/${fip.id}`, alice, { floatingip: { port_id: port.id } });
    expect(noRoute.status).toBe(404);
    expect(noRoute.body.NeutronError.type).toBe("ExternalGatewayForFloatingIPNotFound");

    const router = await make("routers", alice, { router: { name: "r", external_gateway_info: { network_id: publicNet } } });
    expect(router.external_gateway_info.enable_snat).toBe(true);
    expect(router.external_gateway_info.external_fixed_ips[0].ip_address).toMatch(/^172\.24\.4\./);
    const iface = await call("PUT", `routers/${router.id}/add_router_interface`, alice, { subnet_id: subnet.id });
    expect(iface.status).toBe(200);
    expect(iface.body.subnet_id).toBe(subnet.id);
    expect((await call("PUT", `routers/${router.id}/add_router_interface`, alice, { subnet_id: subnet.id })).status).toBe(400);

    const linked = await call("PUT", `floatingips/${fip.id}`, alice, { floatingip: { port_id: port.id } });
    expect(linked.status).toBe(200);
    expect(linked.body.floatingip).toMatchObject({ router_id: router.id, fixed_ip_address: port.fixed_ips[0].ip_address, status: "ACTIVE" });
    expect((await call("PUT", `routers/${router.id}/remove_router_interface`, alice, { subnet_id: subnet.id })).body.NeutronError.type).toBe("RouterInterfaceInUseByFloatingIP");
    expect((await call("DELETE", `routers/${router.id}`, alice)).status).toBe(409);

    expect((await call("DELETE", `ports/${port.id}`, alice)).status).toBe(204);
    const after = (await call("GET", `floatingips/${fip.id}`, alice)).body.floatingip;
    expect(after).toMatchObject({ port_id: null, fixed_ip_address: null, router_id: null });
    expect((await call("PUT", `routers/${router.id}/remove_router_interface`, alice, { subnet_id: subnet.id })).status).toBe(200);
    expect((await call("DELETE", `floatingips/${fip.id}`, alice)).status).toBe(204);
    expect((await call("DELETE", `routers/${router.id}`, alice)).status).toBe(204);
  });

  it("rejects a gateway on an internal network and hides routers across projects", async () => {
    const { net } = await tenantNet(alice, "10.51.0.0/24");
    const bad = await call("POST", "routers", alice, { router: { external_gateway_info: { network_id: net.id } } });
    expect(bad.status).toBe(400);
    const r = await make("routers", alice, { router: { name: "mine" } });
    expect((await call("GET", `routers/${r.id}`, bob)).status).toBe(404);
    expect((await call("POST", "routers", alice, { router: { external_gateway_info: { network_id: publicNet, enable_snat: false } } })).status).toBe(403);
  });
});

describe("security groups", () => {
  it("creates the project's default group with Neutron's rules on first use, once", async () => {
    const [a, b] = await Promise.all([call("GET", "security-groups", bob), call("GET", "security-groups", bob)]);
    const defaults = [...a.body.security_groups, ...b.body.security_groups].filter((g: Json) => g.name === "default");
    expect(new Set(defaults.map((g: Json) => g.id)).size).toBe(1);
    const rules = defaults[0].security_group_rules as Json[];
    expect(rules.filter((r) => r.direction === "ingress").every((r) => r.remote_group_id === defaults[0].id)).toBe(true);
    expect(rules).toHaveLength(4);
    expect((await call("DELETE", `security-groups/${defaults[0].id}`, bob)).status).toBe(409);
  });

  it("validates rules, refuses duplicates and gives new ports the default group", async () => {
    const sg = await make("security-groups", alice, { security_group: { name: "web" } });
    const rule = { security_group_id: sg.id, direction: "ingress", protocol: "tcp", port_range_min: 22, port_range_max: 22, remote_ip_prefix: "0.0.0.0/0" };
    expect((await call("POST", "security-group-rules", alice, { security_group_rule: rule })).status).toBe(201);
    const dup = await call("POST", "security-group-rules", alice, { security_group_rule: rule });
    expect(dup.status).toBe(409);
    expect(dup.body.NeutronError.type).toBe("SecurityGroupRuleExists");
    expect((await call("POST", "security-group-rules", alice, { security_group_rule: { ...rule, port_range_min: 30, port_range_max: 20 } })).status).toBe(400);
    expect((await call("POST", "security-group-rules", bob, { security_group_rule: rule })).status).toBe(404);
    const { net } = await tenantNet(alice, "10.52.0.0/24");
    const port = await make("ports", alice, { port: { network_id: net.id } });
    const dflt = (await call("GET", "security-groups?name=default", alice)).body.security_groups[0];
    expect(port.security_groups).toEqual([dflt.id]);
    const off = await call("PUT", `ports/${port.id}`, alice, { port: { port_security_enabled: false, security_groups: [] } });
    expect(off.body.port).toMatchObject({ port_security_enabled: false, security_groups: [] });
    expect((await call("PUT", `ports/${port.id}`, alice, { port: { security_groups: [sg.id] } })).status).toBe(409);
    expect((await call("DELETE", `ports/${port.id}`, alice)).status).toBe(204);
  });
});

describe("ports, quotas, lists", () => {
  it("takes a requested fixed IP, refuses one outside the subnet or taken", async () => {
    const { net, subnet } = await tenantNet(alice, "10.53.0.0/24");
    const p = await make("ports", alice, { port: { network_id: net.id, fixed_ips: [{ subnet_id: subnet.id, ip_address: "10.53.0.77" }] } });
    expect(p.fixed_ips).toEqual([{ subnet_id: subnet.id, ip_address: "10.53.0.77" }]);
    expect((await call("POST", "ports", alice, { port: { network_id: net.id, fixed_ips: [{ ip_address: "10.53.0.77" }] } })).body.NeutronError.type).toBe("IpAddressAlreadyAllocated");
    expect((await call("POST", "ports", alice, { port: { network_id: net.id, fixed_ips: [{ subnet_id: subnet.id, ip_address: "10.99.0.5" }] } })).status).toBe(400);
    const listed = (await call("GET", `ports?fixed_ips=ip_address%3D10.53.0.77`, alice)).body.ports;
    expect(listed.map((x: Json) => x.id)).toEqual([p.id]);
  });

  it("enforces per-project quotas that only admins change", async () => {
    expect((await call("PUT", `quotas/${api.projects.other}`, bob, { quota: { router: 1 } })).status).toBe(403);
    expect((await call("PUT", `quotas/${api.projects.other}`, admin, { quota: { router: 1 } })).body.quota.router).toBe(1);
    await make("routers", bob, { router: { name: "one" } });
    const over = await call("POST", "routers", bob, { router: { name: "two" } });
    expect(over.status).toBe(409);
    expect(over.body.NeutronError.type).toBe("OverQuota");
    expect((await call("GET", `quotas/${api.projects.other}/details.json`, bob)).body.quota.router).toEqual({ limit: 1, used: 1, reserved: 0 });
    expect((await call("DELETE", `quotas/${api.projects.other}`, admin)).status).toBe(204);
  });

  it("sorts and pages with next links", async () => {
    for (const name of ["pa", "pb", "pc"]) await make("networks", bob, { network: { name } });
    const first = (await call("GET", "networks?sort_key=name&sort_dir=asc&limit=2&name=pa&name=pb&name=pc", bob)).body;
    expect(first.networks.map((n: Json) => n.name)).toEqual(["pa", "pb"]);
    const next = new URL(first.networks_links.find((l: Json) => l.rel === "next").href);
    const second = (await call("GET", `networks${next.search}`, bob)).body;
    expect(second.networks.map((n: Json) => n.name)).toEqual(["pc"]);
    expect((await call("GET", "networks?router%3Aexternal=True&fields=id", bob)).body.networks).toEqual([{ id: publicNet }]);
  });

  it("lists exactly the implemented extensions", async () => {
    const body = (await call("GET", "extensions", alice)).body;
    expect(body.extensions.map((e: Json) => e.alias)).toContain("router");
    expect((await call("GET", "extensions/dvr", alice)).status).toBe(404);
  });
});

describe("servers and ports", () => {
  it("boots with a user's port and security group, and leaves that port behind on delete", async () => {
    await api.addHost();
    const imageId = await api.publicImage();
    const { net } = await tenantNet(alice, "10.54.0.0/24");
    const port = await make("ports", alice, { port: { network_id: net.id } });
    const sg = await make("security-groups", alice, { security_group: { name: "app" } });
    const res = await api.request("/compute/v2.1/servers", {
      method: "POST", token: alice,
      json: { server: { name: "vm", imageRef: imageId, flavorRef: "1", networks: [{ port: port.id }, { uuid: net.id }], security_groups: [{ name: "app" }] } },
    });
    expect(res.status).toBe(202);
    const serverId = (await res.json()).server.id;
    const mine = (await call("GET", `ports?device_id=${serverId}`, alice)).body.ports as Json[];
    expect(mine.map((p) => p.id)).toContain(port.id);
    const created = mine.find((p) => p.id !== port.id)!;
    expect(created.security_groups).toEqual([sg.id]);
    // The host got its firewall: the new port carries group "app"'s egress rule; adding a rule resends it.
    const ruleBody = { security_group_rule: { security_group_id: sg.id, direction: "ingress", protocol: "tcp", port_range_min: 22, remote_group_id: sg.id } };
    expect((await call("POST", "security-group-rules", alice, ruleBody)).status).toBe(201);
    const fw = api.bus.sent.filter((m) => m.type === "network.firewall" && m.hostId === "host-a").at(-1)!.payload as Json;
    const fwPort = (fw.ports as Json[]).find((p) => p.portId === created.id)!;
    expect(fwPort.portSecurity).toBe(true);
    expect(fwPort.rules).toContainEqual({ direction: "ingress", protocol: 6, portMin: 22, portMax: 22, remote: [`${created.fixed_ips[0].ip_address}/32`] });
    expect(fwPort.rules).toContainEqual({ direction: "egress", protocol: null, portMin: null, portMax: null, remote: null });
    const busy = await api.request("/compute/v2.1/servers", { method: "POST", token: alice, json: { server: { name: "vm2", imageRef: imageId, flavorRef: "1", networks: [{ port: port.id }] } } });
    expect(busy.status).toBe(409);

    expect((await api.request(`/compute/v2.1/servers/${serverId}`, { method: "DELETE", token: alice })).status).toBe(204);
    const del = api.bus.sent.filter((m) => m.type === "server.delete").at(-1)!;
    await ingest({ db: api.db, bus: api.bus, apiBase: "http://nimbus.test" }, "host-a", "events", makeEnvelope("server.state", { serverId, commandId: del.id, vmState: "deleted", powerState: 0 }));
    const kept = (await call("GET", `ports/${port.id}`, alice)).body.port;
    expect(kept).toMatchObject({ device_id: "", device_owner: "" });
    expect((await call("GET", `ports/${created.id}`, alice)).status).toBe(404);
  });
});

describe("router sync", () => {
  it("sends the router host the router's legs, SNAT and floating IPs, and its removal", async () => {
    await api.addHost();
    const { net, subnet } = await tenantNet(alice, "10.55.0.0/24");
    const port = await make("ports", alice, { port: { network_id: net.id } });
    const router = await make("routers", alice, { router: { name: "r", external_gateway_info: { network_id: publicNet } } });
    await call("PUT", `routers/${router.id}/add_router_interface`, alice, { subnet_id: subnet.id });
    const fip = await make("floatingips", alice, { floatingip: { floating_network_id: publicNet, port_id: port.id } });
    const spec = (api.bus.sent.filter((m) => m.type === "network.router" && (m.payload as Json).router.routerId === router.id).at(-1)!.payload as Json).router;
    expect(spec.interfaces).toEqual([expect.objectContaining({ ip: "10.55.0.1", prefixLength: 24, networkId: net.id })]);
    expect(spec.gateway).toMatchObject({ networkId: publicNet, nexthop: "172.24.4.1", enableSnat: true, ip: router.external_gateway_info.external_fixed_ips[0].ip_address });
    expect(spec.floatingIps).toEqual([{ floatingIp: fip.floating_ip_address, fixedIp: port.fixed_ips[0].ip_address }]);
    await call("DELETE", `floatingips/${fip.id}`, alice);
    await call("PUT", `routers/${router.id}/remove_router_interface`, alice, { subnet_id: subnet.id });
    const before = api.bus.sent.length;
    expect((await call("DELETE", `routers/${router.id}`, alice)).status).toBe(204);
    const after = api.bus.sent.slice(before);
    expect(after).toContainEqual(expect.objectContaining({ type: "network.router-delete", payload: { routerId: router.id } }));
    expect(after.some((m) => m.type === "network.router" && (m.payload as Json).router.routerId === router.id)).toBe(false);
  });
});

describe("Nova's addSecurityGroup and removeSecurityGroup", () => {
  it("change the groups of every port of the server, show them on the server, and refuse what makes no sense", async () => {
    await api.addHost();
    const imageId = await api.publicImage();
    const { net } = await tenantNet(alice, "10.57.0.0/24");
    const sg = await make("security-groups", alice, { security_group: { name: "sg-actions" } });
    const res = await api.request("/compute/v2.1/servers", { method: "POST", token: alice, json: { server: { name: "sgvm", imageRef: imageId, flavorRef: "1", networks: [{ uuid: net.id }, { uuid: net.id }] } } });
    const serverId = (await res.json()).server.id;
    const action = (token: string, body: Json) => api.request(`/compute/v2.1/servers/${serverId}/action`, { method: "POST", token, json: body });
    const show = async () => (await (await api.request(`/compute/v2.1/servers/${serverId}`, { token: alice })).json()).server;
    const portGroups = async () => ((await call("GET", `ports?device_id=${serverId}`, alice)).body.ports as Json[]).map((p) => p.security_groups);
    expect((await show()).security_groups).toEqual([{ name: "default" }]);

    const added = await action(alice, { addSecurityGroup: { name: "sg-actions" } });
    expect(added.status, await added.clone().text()).toBe(202);
    for (const groups of await portGroups()) expect(groups).toContain(sg.id);
    expect((await show()).security_groups).toEqual(expect.arrayContaining([{ name: "default" }, { name: "sg-actions" }]));
    const again = await action(alice, { addSecurityGroup: { name: "sg-actions" } });
    expect(again.status).toBe(400);
    expect((await again.json()).badRequest.message).toMatch(/already associated/);
    expect((await action(alice, { addSecurityGroup: { name: "nosuch" } })).status).toBe(404);
    expect((await action(bob, { addSecurityGroup: { name: "sg-actions" } })).status).toBe(404);
    expect((await action(alice, { addSecurityGroup: {} })).status).toBe(400);

    expect((await action(alice, { removeSecurityGroup: { name: "default" } })).status).toBe(202);
    expect((await action(alice, { removeSecurityGroup: { name: sg.id } })).status).toBe(202);
    expect(await portGroups()).toEqual([[], []]);
    expect(await show()).not.toHaveProperty("security_groups");
    expect((await action(alice, { removeSecurityGroup: { name: "sg-actions" } })).status).toBe(400);
    const fw = api.bus.sent.filter((m) => m.type === "network.firewall").at(-1)!.payload as Json;
    expect((fw.ports as Json[]).filter((p) => p.portId && p.rules.length === 0).length).toBeGreaterThanOrEqual(2);
  });
});
