import { ec2MetaData, metaDataJson, networkDataJson, userDataBytes, type GuestIdentity } from "#shared";

export interface MetadataAnswer {
  status: number;
  body: string | Uint8Array;
  contentType: string;
}

const text = (body: string, status = 200): MetadataAnswer => ({ status, body, contentType: "text/plain; charset=UTF-8" });
const json = (v: unknown): MetadataAnswer => ({ status: 200, body: JSON.stringify(v), contentType: "application/json" });
const notFound = () => text("404 Not Found\n\nThe resource could not be found.\n", 404);

/** Listing of an EC2 tree level: leaves by name, subtrees with a trailing slash (public-keys as `0=name`). */
function ec2Listing(node: Record<string, unknown>, keyNames: string[], isKeys: boolean): string {
  return Object.entries(node)
    .map(([k, v]) => (isKeys ? `${k}=${keyNames[Number(k)]}` : v !== null && typeof v === "object" && !Array.isArray(v) ? `${k}/` : k))
    .join("\n");
}

function ec2Answer(rest: string[], g: GuestIdentity): MetadataAnswer {
  let node: unknown = ec2MetaData(g);
  for (const part of rest) {
    if (node === null || typeof node !== "object" || Array.isArray(node) || !(part in node)) return notFound();
    node = (node as Record<string, unknown>)[part];
  }
  if (Array.isArray(node)) return text(node.join("\n"));
  if (node !== null && typeof node === "object") {
    return text(ec2Listing(node as Record<string, unknown>, g.config.publicKeys.map((k) => k.name), rest.length === 1 && rest[0] === "public-keys"));
  }
  return text(String(node));
}

const OPENSTACK_FILES = ["meta_data.json", "network_data.json", "vendor_data.json", "vendor_data2.json", "user_data"];

/**
 * What the metadata service answers `path` with for guest `g`: OpenStack's
 * `/openstack/latest/…` documents and the EC2 `/latest/meta-data/…` tree, as Nova's API does.
 */
export function metadataAnswer(path: string, g: GuestIdentity): MetadataAnswer {
  const parts = path.split("?")[0].split("/").filter(Boolean);
  const ud = userDataBytes(g.config);
  if (parts.length === 0) return text("latest");
  if (parts[0] === "openstack") {
    if (parts.length === 1) return text("latest");
    if (parts[1] !== "latest" || parts.length > 3) return notFound();
    if (parts.length === 2) return text(OPENSTACK_FILES.filter((f) => f !== "user_data" || ud).join("\n"));
    switch (parts[2]) {
      case "meta_data.json": return json(metaDataJson(g));
      case "network_data.json": return json(networkDataJson(g));
      case "vendor_data.json": case "vendor_data2.json": return json({});
      case "user_data": return ud ? { status: 200, body: ud, contentType: "application/octet-stream" } : notFound();
      default: return notFound();
    }
  }
  if (parts[0] !== "latest") return notFound();
  if (parts.length === 1) return text(["meta-data/", ...(ud ? ["user-data"] : [])].join("\n"));
  if (parts[1] === "user-data" && parts.length === 2) return ud ? { status: 200, body: ud, contentType: "application/octet-stream" } : notFound();
  if (parts[1] === "meta-data") return ec2Answer(parts.slice(2), g);
  return notFound();
}
