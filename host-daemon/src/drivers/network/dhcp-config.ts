import ipaddr from "ipaddr.js";
import { join } from "node:path";

/** Files of one network's DHCP server, all inside its state directory. */
export interface DhcpPaths {
  dir: string;
  hosts: string;
  pid: string;
  leases: string;
  log: string;
  ports: string;
}

export const dhcpPaths = (dir: string): DhcpPaths => ({
  dir,
  hosts: join(dir, "hosts"),
  pid: join(dir, "pid"),
  leases: join(dir, "leases"),
  log: join(dir, "dnsmasq.log"),
  ports: join(dir, "ports.json"),
});

export interface DhcpNetwork {
  bridge: string;
  dhcpServerIp: string;
  prefixLength: number;
  gateway: string | null;
  mtu: number;
  /** dnsmasq lease time syntax (e.g. "24h", "infinite"). */
  leaseTime?: string;
  /** Log every DHCP transaction to the log file. */
  logDhcp?: boolean;
}

/** Network address and dotted netmask of `ip/prefix` (IPv4 only). */
export function ipv4Subnet(ip: string, prefixLength: number): { network: string; netmask: string } {
  const cidr = `${ip}/${prefixLength}`;
  if (!ipaddr.IPv4.isValidCIDRFourPartDecimal(cidr)) throw new Error(`not an IPv4 CIDR: ${cidr}`);
  return {
    network: ipaddr.IPv4.networkAddressFromCIDR(cidr).toString(),
    netmask: ipaddr.IPv4.subnetMaskFromPrefixLength(prefixLength).toString(),
  };
}

/**
 * dnsmasq's command line for one network: DHCP only (no DNS), bound to the bridge, answering
 * only the MACs in the hosts file. Without a gateway an empty router option stops dnsmasq from
 * offering itself as the router.
 */
export function dnsmasqArgs(net: DhcpNetwork, paths: DhcpPaths): string[] {
  const { network, netmask } = ipv4Subnet(net.dhcpServerIp, net.prefixLength);
  return [
    "--conf-file=",
    "--no-hosts",
    "--no-resolv",
    "--port=0",
    "--bind-interfaces",
    `--interface=${net.bridge}`,
    "--except-interface=lo",
    `--pid-file=${paths.pid}`,
    `--dhcp-leasefile=${paths.leases}`,
    `--dhcp-hostsfile=${paths.hosts}`,
    `--dhcp-range=${network},static,${netmask},${net.leaseTime ?? "24h"}`,
    net.gateway ? `--dhcp-option=3,${net.gateway}` : "--dhcp-option=3",
    // Forced: many clients (udhcpc, older dhclient) do not ask for the MTU.
    `--dhcp-option-force=26,${net.mtu}`,
    `--log-facility=${paths.log}`,
    ...(net.logDhcp ? ["--log-dhcp"] : []),
  ];
}

/** `mac,ip` per port, sorted so the file only changes when the set does. */
export function hostsFile(ports: Array<{ mac: string; ip: string }>): string {
  return ports
    .map((p) => `${p.mac.toLowerCase()},${p.ip}\n`)
    .sort()
    .join("");
}

/** The lease file without the lease of `mac` or of `ip`, so the address can go to a new port at once. */
export function pruneLeases(leases: string, mac: string, ip: string): string {
  return leases
    .split("\n")
    .filter((line) => {
      const [, leaseMac, leaseIp] = line.split(" ");
      return line !== "" && leaseMac?.toLowerCase() !== mac.toLowerCase() && leaseIp !== ip;
    })
    .map((line) => `${line}\n`)
    .join("");
}
