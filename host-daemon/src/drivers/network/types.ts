import type { FirewallPort, OverlayNetwork, PortSpec, RouterSpec } from "#shared";

export interface PluggedPort {
  bridge: string;
  tap: string;
}

/** Host-local L2 and DHCP for ports; every call is idempotent. */
export interface NetworkDriver {
  /** Ensures the network's bridge exists and its DHCP server hands this port's MAC its fixed IP. */
  plugPort(port: PortSpec): Promise<PluggedPort>;
  /** Removes the port's DHCP entry and tap; tears the network down when its last port leaves. */
  unplugPort(port: PortSpec): Promise<void>;
  /** Port ids that have DHCP entries on this host. */
  listPorts(): Promise<string[]>;
  /** Replaces the host's security-group firewall with exactly these ports' rules. */
  applyFirewall(ports: FirewallPort[]): Promise<void>;
  /** Creates or converges a router (namespace, legs, NAT). */
  applyRouter(spec: RouterSpec): Promise<void>;
  deleteRouter(routerId: string): Promise<void>;
  /** Routers this host has built and not deleted (reported in its inventory). */
  listRouters(): Promise<string[]>;
  /** Converges the host's VXLAN legs and flood lists to these networks (full state). */
  applyOverlay(networks: OverlayNetwork[]): Promise<void>;
  /** Plugs the port and hot-adds it to the domain (live when running, and to its config). */
  attachToDomain(domain: string, port: PortSpec): Promise<void>;
  /** Hot-removes the port from the domain, then unplugs it. */
  detachFromDomain(domain: string, port: PortSpec): Promise<void>;
}
