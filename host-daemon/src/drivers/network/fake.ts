import { bridgeName, tapName, type FirewallPort, type OverlayNetwork, type PortSpec, type RouterSpec } from "#shared";
import type { NetworkDriver, PluggedPort } from "./types.js";

/** In-memory NetworkDriver for daemon unit tests. */
export class FakeNetworkDriver implements NetworkDriver {
  readonly ports = new Map<string, PortSpec>();
  firewall: FirewallPort[] = [];
  overlay: OverlayNetwork[] = [];
  readonly routers = new Map<string, RouterSpec>();
  /** Domain name → port ids hot-plugged into it. */
  readonly attached = new Map<string, Set<string>>();
  private nextPlugError: Error | null = null;

  failNextPlug(err: Error = new Error("injected plug failure")): void {
    this.nextPlugError = err;
  }

  async plugPort(port: PortSpec): Promise<PluggedPort> {
    if (this.nextPlugError) {
      const err = this.nextPlugError;
      this.nextPlugError = null;
      throw err;
    }
    this.ports.set(port.portId, port);
    return { bridge: bridgeName(port.networkId), tap: tapName(port.portId) };
  }

  async unplugPort(port: PortSpec): Promise<void> {
    this.ports.delete(port.portId);
  }

  async listPorts(): Promise<string[]> {
    return [...this.ports.keys()].sort();
  }

  async applyFirewall(ports: FirewallPort[]): Promise<void> {
    this.firewall = ports;
  }

  async applyRouter(spec: RouterSpec): Promise<void> {
    this.routers.set(spec.routerId, spec);
  }

  async applyOverlay(networks: OverlayNetwork[]): Promise<void> {
    this.overlay = networks;
  }

  async deleteRouter(routerId: string): Promise<void> {
    this.routers.delete(routerId);
  }

  async listRouters(): Promise<string[]> {
    return [...this.routers.keys()].sort();
  }

  async attachToDomain(domain: string, port: PortSpec): Promise<void> {
    await this.plugPort(port);
    this.attached.set(domain, new Set([...(this.attached.get(domain) ?? []), port.portId]));
  }

  async detachFromDomain(domain: string, port: PortSpec): Promise<void> {
    this.attached.get(domain)?.delete(port.portId);
    await this.unplugPort(port);
  }
}
