import { and, eq, inArray, isNotNull } from "drizzle-orm";
import type { Bus } from "../bus/types.js";
import type { DbOrTx } from "../db/client.js";
import { hostUnderlays, hosts, networkSegments, networks, ports, routerBindings } from "../db/schema.js";
import { overlayPlan, nextVni, type Carrier, type Segment } from "./overlay-plan.js";

/**
 * Gives a tenant network its VXLAN segment unless it has one (external networks stay flat). Call
 * inside a write transaction: the unique VNI index turns a race into an error, never a duplicate.
 */
export async function ensureSegment(tx: DbOrTx, networkId: string): Promise<number | null> {
  const have = (await tx.select().from(networkSegments).where(eq(networkSegments.networkId, networkId)))[0];
  if (have) return have.vni;
  const net = (await tx.select({ external: networks.external }).from(networks).where(eq(networks.id, networkId)))[0];
  if (!net || net.external) return null;
  const vni = nextVni((await tx.select({ vni: networkSegments.vni }).from(networkSegments)).map((r) => r.vni));
  await tx.insert(networkSegments).values({ networkId, vni });
  return vni;
}

/** ensureSegment outside a transaction: a lost race (either unique index) is retried. */
async function lazySegment(db: DbOrTx, networkId: string): Promise<number | null> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await ensureSegment(db, networkId);
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

/** Stores the tunnel endpoint a host advertised. */
export async function recordUnderlay(db: DbOrTx, hostId: string, underlayIp: string): Promise<void> {
  await db.insert(hostUnderlays).values({ hostId, underlayIp }).onConflictDoUpdate({ target: hostUnderlays.hostId, set: { underlayIp } });
}

/** Who carries which network: hosts with bound ports, and the router host for router legs. */
async function carriers(db: DbOrTx): Promise<Carrier[]> {
  const bound = await db.select({ networkId: ports.networkId, hostId: ports.hostId }).from(ports).where(isNotNull(ports.hostId));
  const out: Carrier[] = bound.map((b) => ({ networkId: b.networkId, hostId: b.hostId! }));
  // A router leg is carried by the host its router is scheduled on.
  const legs = await db.select({ networkId: ports.networkId, hostId: routerBindings.hostId }).from(ports)
    .innerJoin(routerBindings, eq(routerBindings.routerId, ports.deviceId))
    .where(and(eq(ports.deviceOwner, "network:router_interface"), isNotNull(routerBindings.hostId)));
  for (const l of legs) out.push({ networkId: l.networkId, hostId: l.hostId! });
  return out;
}

async function segmentsOf(db: DbOrTx, networkIds: string[]): Promise<Map<string, Segment>> {
  if (networkIds.length === 0) return new Map();
  const nets = await db.select({ id: networks.id, mtu: networks.mtu, external: networks.external }).from(networks).where(inArray(networks.id, networkIds));
  const segs = new Map((await db.select().from(networkSegments).where(inArray(networkSegments.networkId, networkIds))).map((s) => [s.networkId, s.vni]));
  const out = new Map<string, Segment>();
  for (const n of nets) {
    if (n.external) continue;
    // Networks from before segments existed get theirs on first use.
    const vni = segs.get(n.id) ?? (await lazySegment(db, n.id));
    if (vni) out.set(n.id, { vni, mtu: n.mtu });
  }
  return out;
}

/** Every online host's overlay (full state). */
export async function overlaysOf(db: DbOrTx) {
  const cs = await carriers(db);
  const rows = await db.select({ id: hosts.id, online: hosts.online, underlayIp: hostUnderlays.underlayIp }).from(hosts).leftJoin(hostUnderlays, eq(hostUnderlays.hostId, hosts.id));
  return overlayPlan(cs, rows, await segmentsOf(db, [...new Set(cs.map((c) => c.networkId))]));
}

/**
 * Sends every online host the tenant networks it carries with their peers (idempotent full state),
 * after a binding, a router leg or a host's presence changed. A host that misses it gets it again
 * on reconnect (the inventory reconcile syncs firewalls, and overlays with them).
 */
export async function syncOverlays(db: DbOrTx, bus: Bus): Promise<void> {
  let plan;
  try {
    plan = await overlaysOf(db);
  } catch (err) {
    console.error(`overlay plan failed: ${(err as Error).message}`);
    return;
  }
  await Promise.all([...plan].map(async ([hostId, nets]) => {
    try {
      await bus.cast(hostId, "network.overlay", { networks: nets });
    } catch (err) {
      console.error(`overlay sync to ${hostId} failed: ${(err as Error).message}`);
    }
  }));
}
