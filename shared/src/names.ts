/** Names derived from ids that both the edge and the hosts must agree on. */

/** libvirt domain name of a server. */
export const domainName = (serverId: string, prefix = "nimbus-") => `${prefix}${serverId}`;

/** Linux bridge of a network; IFNAMSIZ allows 15 characters. */
export const bridgeName = (networkId: string) => `nbr-${networkId.replace(/-/g, "").slice(0, 11)}`;

/** tap device of a port (Neutron's own convention). */
export const tapName = (portId: string) => `tap${portId.replace(/-/g, "").slice(0, 11)}`;
