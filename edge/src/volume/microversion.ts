/**
 * Cinder microversion negotiation (`OpenStack-API-Version: volume 3.N`). Nimbus implements the
 * 3.0 response shapes, so that is the maximum it advertises (and what `latest` means). A client
 * may still ask explicitly for up to 3.42 to get the one later behaviour Nimbus has, extending an
 * in-use volume (`openstack --os-volume-api-version 3.42 volume set --size`); responses keep 3.0
 * shapes. Above that: 404, as Cinder does.
 */
export const MIN_VOLUME_VERSION = "3.0";
export const MAX_VOLUME_VERSION = "3.0";
/** The highest version a request may name explicitly. */
export const MAX_ACCEPTED_VOLUME_VERSION = "3.42";
/** Extending an attached volume (os-extend on in-use). */
export const EXTEND_IN_USE_VERSION = "3.42";

const parse = (v: string): [number, number] | null => {
  const m = /^(\d+)\.(\d+)$/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2])] : null;
};
const cmp = (a: [number, number], b: [number, number]) => a[0] - b[0] || a[1] - b[1];

export class VersionNotSupported extends Error {}

/** The version a request runs at, from its header value; throws VersionNotSupported outside [min, max]. */
export function negotiateVolumeVersion(header: string | undefined): string {
  if (!header) return MIN_VOLUME_VERSION;
  const entry = header.split(",").map((p) => p.trim().split(/\s+/)).find(([service]) => service?.toLowerCase() === "volume");
  if (!entry || entry.length < 2) return MIN_VOLUME_VERSION;
  const requested = entry[1]!;
  if (requested.toLowerCase() === "latest") return MAX_VOLUME_VERSION;
  const v = parse(requested);
  if (!v) throw new VersionNotSupported(`Invalid API version request string ${requested}.`);
  if (cmp(v, parse(MIN_VOLUME_VERSION)!) < 0 || cmp(v, parse(MAX_ACCEPTED_VOLUME_VERSION)!) > 0) {
    throw new VersionNotSupported(`Version ${requested} is not supported by the API. Minimum is ${MIN_VOLUME_VERSION} and maximum is ${MAX_VOLUME_VERSION}.`);
  }
  return `${v[0]}.${v[1]}`;
}

/** Whether a negotiated version is at least `min`. */
export function volumeVersionAtLeast(version: string, min: string): boolean {
  return cmp(parse(version)!, parse(min)!) >= 0;
}
