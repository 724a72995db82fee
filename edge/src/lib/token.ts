import { fromBase64Url, toBase64Url } from "./encoding.js";

/** What a token carries, so validating it needs no database read. */
export interface TokenClaims {
  /** user id, name, domain id and domain name */
  uid: string;
  uname: string;
  udom: string;
  udn?: string;
  /** project scope: id, name, domain id and domain name (absent unless project-scoped) */
  pid?: string;
  pname?: string;
  pdom?: string;
  pdn?: string;
  /** domain scope: id and name (absent unless domain-scoped) */
  did?: string;
  dname?: string;
  /** system scope (`"system": {"all": true}`); absent unless system-scoped */
  sys?: boolean;
  /** roles on the scope, implied ones included */
  roles: Array<{ id: string; name: string }>;
  methods: string[];
  /** issued-at and expiry, epoch ms */
  iat: number;
  exp: number;
  audit: string;
  /** audit id of the token this one was rescoped from, first in the chain */
  chain?: string;
  /** application credential the token was issued for: id, name, and whether it is restricted */
  acid?: string;
  acname?: string;
  acr?: boolean;
}

const VERSION = 1;

async function importKey(raw: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

/**
 * Fernet-like tokens: AES-256-GCM over the JSON claims. Keys rotate: the first key encrypts,
 * every key decrypts (the key index travels in the token so no trial decryption is needed).
 */
export class TokenCodec {
  private constructor(private readonly keys: Array<{ kid: string; key: CryptoKey }>) {}

  static async fromKeys(rawKeys: string[]): Promise<TokenCodec> {
    if (rawKeys.length === 0) throw new Error("at least one token key is required");
    const keys = await Promise.all(
      rawKeys.map(async (k) => {
        const raw = fromBase64Url(k);
        if (raw.length !== 32) throw new Error("token keys must be 32 bytes, base64url");
        const kid = toBase64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", raw))).slice(0, 8);
        return { kid, key: await importKey(raw) };
      }),
    );
    return new TokenCodec(keys);
  }

  async seal(claims: TokenClaims): Promise<string> {
    const { kid, key } = this.keys[0];
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const plain = new TextEncoder().encode(JSON.stringify(claims));
    const cipher = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: new TextEncoder().encode(kid) }, key, plain));
    return `n${VERSION}.${kid}.${toBase64Url(iv)}.${toBase64Url(cipher)}`;
  }

  /** Returns the claims of an authentic, unexpired token, or null. */
  async open(token: string, nowMs = Date.now()): Promise<TokenClaims | null> {
    const [ver, kid, iv, cipher] = token.split(".");
    if (ver !== `n${VERSION}` || !kid || !iv || !cipher) return null;
    const entry = this.keys.find((k) => k.kid === kid);
    if (!entry) return null;
    try {
      const plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: fromBase64Url(iv), additionalData: new TextEncoder().encode(kid) },
        entry.key,
        fromBase64Url(cipher),
      );
      const claims = JSON.parse(new TextDecoder().decode(plain)) as TokenClaims;
      return claims.exp > nowMs ? claims : null;
    } catch {
      return null;
    }
  }
}
