import { integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** A host's underlay (tunnel endpoint) address, as it advertised it on registration. */
export const hostUnderlays = sqliteTable("host_underlays", {
  hostId: text("host_id").primaryKey(),
  underlayIp: text("underlay_ip").notNull(),
});

/** The VXLAN segment of a tenant network; the unique index makes VNI allocation race-free. */
export const networkSegments = sqliteTable("network_segments", {
  networkId: text("network_id").primaryKey(),
  vni: integer("vni").notNull(),
}, (t) => [uniqueIndex("network_segments_vni").on(t.vni)]);
