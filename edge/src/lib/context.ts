import type { Bus } from "../bus/types.js";
import type { Db } from "../db/client.js";
import type { BlobStore } from "../image/blob-store.js";
import type { RevocationList } from "./revocations.js";
import type { TokenClaims, TokenCodec } from "./token.js";

export interface Config {
  /** Public origin (e.g. https://cloud.example.com); defaults to the request's own origin. */
  publicUrl?: string;
  region: string;
  /** Bearer secret for the broker relay that forwards host messages over HTTP. */
  ingestSecret?: string;
  tokenTtlSeconds: number;
  /** Seconds after which a resize awaiting confirmation is confirmed (0/absent: never). */
  resizeConfirmWindowSeconds?: number;
  /** Nova scheduler settings: allocation ratios and weigher (spread or pack). */
  scheduler?: Partial<{ cpuAllocationRatio: number; ramAllocationRatio: number; diskAllocationRatio: number; weigher: "spread" | "pack" }>;
}

/** Everything a handler needs from the outside world, built once per runtime in its entry point. */
export interface Deps {
  db: Db;
  bus: Bus;
  blobs: BlobStore;
  tokens: TokenCodec;
  revocations: RevocationList;
  config: Config;
}

export interface AuthContext {
  claims: TokenClaims;
  userId: string;
  projectId?: string;
  roles: string[];
  isAdmin: boolean;
}

export type AppEnv = {
  Variables: {
    deps: Deps;
    auth: AuthContext;
    /** This request's id, as sent back in x-openstack-request-id (instance actions record it). */
    requestId: string;
  };
};
