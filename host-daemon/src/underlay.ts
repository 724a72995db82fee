import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { Exec } from "./exec.js";

/** The source address in `ip -j route get <dst>` output. */
export function routeSource(json: string): string | null {
  const routes = JSON.parse(json) as Array<{ prefsrc?: string }>;
  return routes[0]?.prefsrc ?? null;
}

/**
 * The host's VXLAN tunnel endpoint: NIMBUS_UNDERLAY_IP, else the address this host reaches the
 * broker from (the source of the route towards it).
 */
export async function underlayAddress(env: NodeJS.ProcessEnv, mqttUrl: string, exec: Exec): Promise<string | null> {
  if (env.NIMBUS_UNDERLAY_IP) return env.NIMBUS_UNDERLAY_IP;
  const host = new URL(mqttUrl).hostname.replace(/^\[|\]$/g, "");
  const ip = isIP(host) ? host : (await lookup(host, { family: 4 }).catch(() => null))?.address;
  if (!ip) return null;
  const r = await exec("ip", ["-j", "-4", "route", "get", ip], { allowFail: true });
  return r.code === 0 ? routeSource(r.stdout) : null;
}
