import { endpoints, services } from "../db/schema.js";
import type { DbOrTx } from "../db/client.js";
import { INTERFACES, SEEDED_REGION, stableId } from "../identity/catalog.js";

/** Cinder's endpoint as clients expect it: the project id in the path. */
export const VOLUME_ENDPOINT = "/volume/v3/%(project_id)s";

/** Registers block storage in the catalog under both types clients look for (volumev3, block-storage); idempotent. */
export async function seedVolumeCatalog(db: DbOrTx): Promise<void> {
  for (const [type, name] of [["volumev3", "cinderv3"], ["block-storage", "cinder"]] as const) {
    const serviceId = stableId(`${type.replace("-", "")}svc`);
    await db.insert(services).values({ id: serviceId, type, name }).onConflictDoNothing();
    for (const i of INTERFACES) {
      await db.insert(endpoints).values({ id: stableId(`${type.replace("-", "")}${i}`), serviceId, interface: i, url: VOLUME_ENDPOINT, regionId: SEEDED_REGION }).onConflictDoNothing();
    }
  }
}
