import { and, eq, inArray } from "drizzle-orm";
import { sanitizeHostname, type GuestConfig, type PortSpec } from "#shared";
import type { DbOrTx } from "../db/client.js";
import { flavors, keypairs, servers, subnets } from "../db/schema.js";
import { ApiError } from "../lib/errors.js";

type ServerRow = (typeof servers)["$inferSelect"];

/** Nova's limit on user_data (a MEDIUMTEXT-sized base64 string in its schema is 65535). */
const MAX_USER_DATA = 65535;

/** Validates base64 `user_data` as Nova does; returns it unchanged (or null when absent). */
export function validateUserData(userData: string | undefined | null): string | null {
  if (userData === undefined || userData === null) return null;
  const bad = () => new ApiError(400, "Invalid input for field/attribute user_data. Value: is not a base64 string.", "badRequest");
  if (userData.length > MAX_USER_DATA) throw new ApiError(400, `Invalid input for field/attribute user_data. Value is too long (max ${MAX_USER_DATA}).`, "badRequest");
  const compact = userData.replace(/\s+/g, "");
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) throw bad();
  try {
    atob(compact);
  } catch {
    throw bad();
  }
  return compact;
}

/** Nova's boolean parameter type: true/false and their common string spellings. */
export function parseConfigDrive(v: unknown): boolean {
  if (v === undefined || v === null || v === "") return false;
  if (typeof v === "boolean") return v;
  const s = String(v).toLowerCase();
  if (["true", "1", "yes", "on", "t", "y"].includes(s)) return true;
  if (["false", "0", "no", "off", "f", "n"].includes(s)) return false;
  throw new ApiError(400, `Invalid input for field/attribute config_drive. Value: ${String(v)} is not a valid boolean.`, "badRequest");
}

/** The guest-config part of `server.create`, from the server row and its ports. */
export async function guestConfigFor(db: DbOrTx, s: ServerRow, ports: PortSpec[]): Promise<GuestConfig> {
  const flavor = (await db.select({ name: flavors.name }).from(flavors).where(eq(flavors.id, s.flavorId)))[0];
  const keys = s.keyName
    ? await db.select().from(keypairs).where(and(eq(keypairs.userId, s.userId), eq(keypairs.name, s.keyName)))
    : [];
  const networkIds = [...new Set(ports.map((p) => p.networkId))];
  const subnetRows = networkIds.length ? await db.select({ dns: subnets.dnsNameservers }).from(subnets).where(inArray(subnets.networkId, networkIds)) : [];
  return {
    configDrive: s.configDrive,
    hostname: sanitizeHostname(s.name),
    projectId: s.projectId,
    availabilityZone: "nova",
    flavorName: flavor?.name ?? s.flavorId,
    imageId: s.imageId,
    launchIndex: s.launchIndex,
    meta: s.metadata,
    publicKeys: keys.map((k) => ({ name: k.name, type: k.type, data: k.publicKey })),
    userData: s.userData,
    dnsNameservers: [...new Set(subnetRows.flatMap((r) => r.dns))],
  };
}
