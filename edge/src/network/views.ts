import type { ipAllocations, networks, ports, subnets } from "../db/schema.js";

type Row<T extends { $inferSelect: unknown }> = T["$inferSelect"];

const stamps = (r: { createdAt: string; updatedAt: string }) => ({
  created_at: r.createdAt.replace(/\.\d+Z$/, "Z"),
  updated_at: r.updatedAt.replace(/\.\d+Z$/, "Z"),
});

export function networkView(n: Row<typeof networks>, subnetIds: string[]) {
  return {
    id: n.id, name: n.name, tenant_id: n.projectId, project_id: n.projectId, status: "ACTIVE",
    admin_state_up: n.adminStateUp, shared: n.shared, "router:external": n.external, mtu: n.mtu,
    subnets: subnetIds, description: n.description, port_security_enabled: true, availability_zones: ["nova"],
    availability_zone_hints: [], ipv4_address_scope: null, ipv6_address_scope: null, is_default: false,
    tags: [], revision_number: 0, ...stamps(n),
  };
}

export function subnetView(s: Row<typeof subnets>) {
  return {
    id: s.id, name: s.name, network_id: s.networkId, tenant_id: s.projectId, project_id: s.projectId,
    cidr: s.cidr, ip_version: s.ipVersion, gateway_ip: s.gatewayIp, enable_dhcp: s.enableDhcp,
    allocation_pools: s.allocationPools, dns_nameservers: s.dnsNameservers, host_routes: [],
    description: s.description, ipv6_ra_mode: null, ipv6_address_mode: null, subnetpool_id: null,
    service_types: [], tags: [], revision_number: 0, ...stamps(s),
  };
}

export function portView(p: Row<typeof ports>, ips: Array<Row<typeof ipAllocations>>) {
  return {
    id: p.id, name: p.name, network_id: p.networkId, tenant_id: p.projectId, project_id: p.projectId,
    mac_address: p.macAddress, admin_state_up: p.adminStateUp, status: p.status,
    device_id: p.deviceId, device_owner: p.deviceOwner,
    fixed_ips: ips.map((a) => ({ subnet_id: a.subnetId, ip_address: a.ipAddress })),
    allowed_address_pairs: [], extra_dhcp_opts: [], security_groups: [], port_security_enabled: true,
    "binding:host_id": p.hostId ?? "", "binding:vif_type": p.hostId ? "bridge" : "unbound", "binding:vnic_type": "normal",
    description: "", tags: [], revision_number: 0, ...stamps(p),
  };
}
