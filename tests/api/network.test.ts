import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeApi, type Api } from "./harness.js";

let api: Api;
let alice: string, bob: string;
beforeAll(async () => {
  api = await makeApi();
  ({ alice, bob } = await api.memberTokens());
});
afterAll(() => api.cleanup());

const post = (path: string, token: string, json: unknown) => api.request(`/network/v2.0/${path}`, { method: "POST", token, json });

describe("network", () => {
  it("creates a network and subnet with Neutron's defaults", async () => {
    const net = (await (await post("networks", bob, { network: { name: "bobnet" } })).json()).network;
    const res = await post("subnets", bob, { subnet: { network_id: net.id, cidr: "192.168.7.0/24", ip_version: 4 } });
    expect(res.status).toBe(201);
    const subnet = (await res.json()).subnet;
    expect(subnet.gateway_ip).toBe("192.168.7.1");
    expect(subnet.allocation_pools).toEqual([{ start: "192.168.7.2", end: "192.168.7.254" }]);
  });

  it("rejects an invalid CIDR and an overlapping subnet with NeutronError", async () => {
    const net = (await (await post("networks", bob, { network: { name: "n2" } })).json()).network;
    const bad = await post("subnets", bob, { subnet: { network_id: net.id, cidr: "10.1.0.0/40", ip_version: 4 } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).NeutronError.type).toBe("HTTPBadRequest");
    expect((await post("subnets", bob, { subnet: { network_id: net.id, cidr: "10.1.0.0/24", ip_version: 4 } })).status).toBe(201);
    const overlap = await post("subnets", bob, { subnet: { network_id: net.id, cidr: "10.1.0.128/25", ip_version: 4 } });
    expect(overlap.status).toBe(400);
  });

  it("hides other projects' networks and answers NetworkNotFound", async () => {
    const res = await api.request(`/network/v2.0/networks/${api.privateNet}`, { token: bob });
    expect(res.status).toBe(404);
    expect((await res.json()).NeutronError.type).toBe("NetworkNotFound");
    const names = (await (await api.request("/network/v2.0/networks", { token: bob })).json()).networks.map((n: { name: string }) => n.name);
    expect(names).not.toContain("private");
  });

  it("allocates distinct IPs under concurrency and reports exhaustion", async () => {
    // 10.0.0.0/29: .1 gateway, .2 DHCP, .3-.6 for ports
    const results = await Promise.all(Array.from({ length: 6 }, () => post("ports", alice, { port: { network_id: api.privateNet } })));
    const ok = results.filter((r) => r.status === 201);
    const full = results.filter((r) => r.status === 409);
    expect(ok).toHaveLength(4);
    expect(full).toHaveLength(2);
    expect((await full[0].json()).NeutronError.type).toBe("IpAddressGenerationFailure");
    const ips = await Promise.all(ok.map(async (r) => (await r.json()).port.fixed_ips[0].ip_address));
    expect(new Set(ips).size).toBe(4);
  });

  it("refuses to delete a network with ports in use", async () => {
    const res = await api.request(`/network/v2.0/networks/${api.privateNet}`, { method: "DELETE", token: alice });
    expect(res.status).toBe(409);
    expect((await res.json()).NeutronError.type).toBe("NetworkInUse");
  });

  it("finds a network by name the way the CLI does", async () => {
    expect((await api.request("/network/v2.0/networks/private", { token: alice })).status).toBe(404);
    const body = await (await api.request("/network/v2.0/networks?name=private", { token: alice })).json();
    expect(body.networks).toHaveLength(1);
  });
});
