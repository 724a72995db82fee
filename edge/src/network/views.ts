import type { floatingIps, ipAllocations, networks, ports, routers, securityGroupRules, securityGroups, subnets } from "../db/schema.js";
import { stamps } from "./common.js";

type Row<T extends { $inferSelect: unknown }> = T["$inferSelect"];

const owner = (projectId: string) => ({ tenant_id: projectId, project_id: projectId });

export function networkView(n: Row<typeof networks>, subnetIds: string[]) {
  return {
    id: n.id, name: n.name, ...owner(n.projectId), status: "ACTIVE",
    admin_state_up: n.adminStateUp, shared: n.shared, "router:external": n.external, mtu: n.mtu,
    subnets: subnetIds, description: n.description, port_security_enabled: n.portSecurityEnabled,
    availability_zones: ["nova"], availability_zone_hints: [], ipv4_address_scope: null, ipv6_address_scope: null,
    is_default: false, tags: [], revision_number: 0, ...stamps(n),
  };
}

export function subnetView(s: Row<typeof subnets>) {
  return {
    id: s.id, name: s.name, network_id: s.networkId, ...owner(s.projectId),
    cidr: s.cidr, ip_version: s.ipVersion, gateway_ip: s.gatewayIp, enable_dhcp: s.enableDhcp,
    allocation_pools: s.allocationPools, dns_nameservers: s.dnsNameservers, host_routes: s.hostRoutes,
    description: s.description, ipv6_ra_mode: null, ipv6_address_mode: null, subnetpool_id: null,
    service_types: [], tags: [], revision_number: 0, ...stamps(s),
  };
}

export function portView(p: Row<typeof ports>, ips: Array<Row<typeof ipAllocations>>) {
  return {
    id: p.id, name: p.name, network_id: p.networkId, ...owner(p.projectId),
    mac_address: p.macAddress, admin_state_up: p.adminStateUp, status: p.status,
    device_id: p.deviceId, device_owner: p.deviceOwner,
    fixed_ips: ips.map((a) => ({ subnet_id: a.subnetId, ip_address: a.ipAddress })),
    allowed_address_pairs: p.allowedAddressPairs, extra_dhcp_opts: [], security_groups: p.securityGroupIds,
    port_security_enabled: p.portSecurityEnabled,
    "binding:host_id": p.hostId ?? "", "binding:vif_type": p.hostId ? "bridge" : "unbound", "binding:vnic_type": "normal",
    "binding:profile": {}, "binding:vif_details": {},
    description: p.description, tags: [], revision_number: 0, ...stamps(p),
  };
}

export interface GatewayView { port: Row<typeof ports>; ips: Array<Row<typeof ipAllocations>> }

export function routerView(r: Row<typeof routers>, gw: GatewayView | undefined) {
  const external_gateway_info = r.gatewayNetworkId
    ? { network_id: r.gatewayNetworkId, enable_snat: r.enableSnat, external_fixed_ips: (gw?.ips ?? []).map((a) => ({ subnet_id: a.subnetId, ip_address: a.ipAddress })) }
    : null;
  return {
    id: r.id, name: r.name, ...owner(r.projectId), status: "ACTIVE", admin_state_up: r.adminStateUp,
    external_gateway_info, description: r.description, tags: [], revision_number: 0, ...stamps(r),
  };
}

export function floatingIpView(f: Row<typeof floatingIps>) {
  return {
    id: f.id, ...owner(f.projectId), floating_ip_address: f.floatingIpAddress, floating_network_id: f.floatingNetworkId,
    router_id: f.portId ? f.routerId : null, port_id: f.portId, fixed_ip_address: f.portId ? f.fixedIpAddress : null, status: f.portId ? "ACTIVE" : "DOWN",
    description: f.description, tags: [], revision_number: 0, ...stamps(f),
  };
}

export function securityGroupRuleView(r: Row<typeof securityGroupRules>) {
  return {
    id: r.id, security_group_id: r.securityGroupId, ...owner(r.projectId), direction: r.direction, ethertype: r.ethertype,
    protocol: r.protocol, port_range_min: r.portRangeMin, port_range_max: r.portRangeMax,
    remote_ip_prefix: r.remoteIpPrefix, remote_group_id: r.remoteGroupId, description: r.description,
    revision_number: 0, ...stamps(r),
  };
}

export function securityGroupView(g: Row<typeof securityGroups>, rules: Array<Row<typeof securityGroupRules>>) {
  return {
    id: g.id, name: g.name, ...owner(g.projectId), description: g.description,
    security_group_rules: rules.map(securityGroupRuleView), tags: [], revision_number: 0, ...stamps(g),
  };
}
