import type { BlobDigest, BlobStore } from "../image/blob-store.js";
import type { ByteRange } from "../image/range.js";
import { toHex } from "../lib/encoding.js";

/** Minimal view of the R2 binding this store uses. */
interface R2Like {
  put(key: string, value: ReadableStream, opts?: unknown): Promise<{ checksums: { md5?: ArrayBuffer } } | null>;
  get(key: string, opts?: { range?: ByteRange }): Promise<{ body: ReadableStream } | null>;
  delete(key: string): Promise<void>;
}

/** workerd's streaming digest (crypto.DigestStream), not in the DOM typings. */
type DigestStreamCtor = new (alg: string) => WritableStream<Uint8Array> & { digest: Promise<ArrayBuffer> };

/** Image bytes in R2; R2 computes the MD5, a DigestStream the SHA-512, both while streaming. */
export class R2BlobStore implements BlobStore {
  constructor(private readonly bucket: R2Like) {}

  async put(key: string, body: ReadableStream<Uint8Array>): Promise<BlobDigest> {
    const DigestStream = (crypto as unknown as { DigestStream: DigestStreamCtor }).DigestStream;
    const sha = new DigestStream("SHA-512");
    let size = 0;
    const counted = body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({ transform(chunk, ctl) { size += chunk.byteLength; ctl.enqueue(chunk); } }));
    const [toBucket, toHash] = counted.tee();
    try {
      const [obj] = await Promise.all([this.bucket.put(key, toBucket), toHash.pipeTo(sha)]);
      const md5 = obj?.checksums.md5;
      if (!md5) throw new Error("R2 returned no MD5 checksum");
      return { size, md5: toHex(new Uint8Array(md5)), sha512: toHex(new Uint8Array(await sha.digest)) };
    } catch (err) {
      await this.bucket.delete(key);
      throw err;
    }
  }

  async get(key: string, range?: ByteRange): Promise<ReadableStream<Uint8Array> | null> {
    return (await this.bucket.get(key, range ? { range } : undefined))?.body ?? null;
  }

  async delete(key: string): Promise<void> {
    await this.bucket.delete(key);
  }
}
