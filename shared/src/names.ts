/** Names derived from ids that both the edge and the hosts must agree on. */

/** libvirt domain name of a server. */
export const domainName = (serverId: string, prefix = "nimbus-") => `${prefix}${serverId}`;

/** Linux bridge of a network; IFNAMSIZ allows 15 characters. */
export const bridgeName = (networkId: string) => `nbr-${networkId.replace(/-/g, "").slice(0, 11)}`;

/** tap device of a port (Neutron's own convention). */
export const tapName = (portId: string) => `tap${portId.replace(/-/g, "").slice(0, 11)}`;

/** VXLAN device of a network on a host, enslaved to the network's bridge. */
export const vxlanName = (networkId: string) => `vxn-${networkId.replace(/-/g, "").slice(0, 11)}`;
