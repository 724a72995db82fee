import { createClient } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";
import { fileURLToPath } from "node:url";
import { schema, type Db } from "../db/client.js";

export const migrationsFolder = fileURLToPath(new URL("../../../migrations", import.meta.url));

/** Opens libSQL at `url` (embedded `file:`, or a server) and applies the SQL migrations. */
export async function openDatabase(url: string, authToken?: string): Promise<Db> {
  const client = createClient({ url, authToken });
  if (url.startsWith("file:")) {
    await client.execute("PRAGMA journal_mode = WAL");
    await client.execute("PRAGMA busy_timeout = 5000");
  }
  await client.execute("PRAGMA foreign_keys = ON");
  const db = drizzle(client, { schema });
  await migrate(db, { migrationsFolder });
  return db;
}
