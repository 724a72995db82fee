import { md5 } from "@noble/hashes/legacy.js";
import { fromBase64Url, toBase64 } from "../lib/encoding.js";

/** Key types Nova accepts in OpenSSH public-key format. */
const KEY_TYPES = ["ssh-rsa", "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-dss"];

const b64 = toBase64;
const unb64 = (text: string) => fromBase64Url(text.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""));

/** Reads the first length-prefixed string of an SSH wire-format blob. */
function firstString(blob: Uint8Array): string | null {
  if (blob.length < 4) return null;
  const len = (blob[0] << 24) | (blob[1] << 16) | (blob[2] << 8) | blob[3];
  if (len <= 0 || 4 + len > blob.length) return null;
  return new TextDecoder().decode(blob.subarray(4, 4 + len));
}

/** Parses an OpenSSH public key line; returns null when it is not one (Nova: "Keypair data is invalid"). */
export function parsePublicKey(line: string): { type: string; blob: Uint8Array } | null {
  const [type, data] = line.trim().split(/\s+/);
  if (!type || !data || !KEY_TYPES.includes(type) || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) return null;
  let blob: Uint8Array;
  try {
    blob = unb64(data);
  } catch {
    return null;
  }
  return firstString(blob) === type ? { type, blob } : null;
}

/** Nova's fingerprint: MD5 of the key blob, colon-separated hex. */
export function fingerprint(blob: Uint8Array): string {
  return Array.from(md5(blob), (b) => b.toString(16).padStart(2, "0")).join(":");
}

const sshString = (bytes: Uint8Array) => {
  const out = new Uint8Array(4 + bytes.length);
  new DataView(out.buffer).setUint32(0, bytes.length);
  out.set(bytes, 4);
  return out;
};
/** SSH mpint: big-endian, with a leading zero byte when the top bit is set. */
const mpint = (bytes: Uint8Array) => sshString(bytes[0] & 0x80 ? Uint8Array.of(0, ...bytes) : bytes);
const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
};

/** Generates an RSA-2048 keypair: OpenSSH public line and PKCS#8 PEM private key (OpenSSH reads it). */
export async function generateRsaKeypair(comment: string): Promise<{ publicKey: string; privateKey: string; blob: Uint8Array }> {
  const pair = (await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, true, ["sign", "verify"],
  )) as CryptoKeyPair;
  const jwk = await crypto.subtle.exportKey("jwk", pair.publicKey);
  const blob = concat([sshString(new TextEncoder().encode("ssh-rsa")), mpint(fromBase64Url(jwk.e!)), mpint(fromBase64Url(jwk.n!))]);
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  const pem = b64(pkcs8).match(/.{1,64}/g)!.join("\n");
  return { publicKey: `ssh-rsa ${b64(blob)} ${comment}`, privateKey: `-----BEGIN PRIVATE KEY-----\n${pem}\n-----END PRIVATE KEY-----\n`, blob };
}
