import { openDatabase } from "./db.js";

/** Applies the SQL migrations to a remote libSQL database (what the Workers edge uses). */
const url = process.env.LIBSQL_URL;
if (!url) {
  console.error("set LIBSQL_URL (and LIBSQL_AUTH_TOKEN) to the database the Worker uses");
  process.exit(2);
}
await openDatabase(url, process.env.LIBSQL_AUTH_TOKEN);
console.log(`migrations applied to ${url}`);
