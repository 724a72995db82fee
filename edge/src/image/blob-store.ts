import type { ByteRange } from "./range.js";

/** Digests computed while the bytes stream through the store. */
export interface BlobDigest {
  size: number;
  md5: string;
  sha512: string;
}

/** Where image bytes live: the filesystem on Node, R2 on Workers. */
export interface BlobStore {
  /** Streams `body` into `key`; on failure nothing is left under `key`. */
  put(key: string, body: ReadableStream<Uint8Array>): Promise<BlobDigest>;
  /** The bytes under `key` (only `range` of them if given), or null if there are none. */
  get(key: string, range?: ByteRange): Promise<ReadableStream<Uint8Array> | null>;
  delete(key: string): Promise<void>;
}
