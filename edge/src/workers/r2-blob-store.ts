import type { BlobDigest, BlobStore } from "../image/blob-store.js";
import type { ByteRange } from "../image/range.js";
import { toHex } from "../lib/encoding.js";

interface R2UploadedPart {
  partNumber: number;
  etag: string;
}
interface R2MultipartLike {
  uploadPart(partNumber: number, value: Uint8Array): Promise<R2UploadedPart>;
  complete(parts: R2UploadedPart[]): Promise<unknown>;
  abort(): Promise<void>;
}

/** Minimal view of the R2 binding this store uses. */
export interface R2Like {
  put(key: string, value: Uint8Array): Promise<unknown>;
  get(key: string, opts?: { range?: ByteRange }): Promise<{ body: ReadableStream } | null>;
  delete(key: string): Promise<void>;
  createMultipartUpload(key: string): Promise<R2MultipartLike>;
}

/** workerd's streaming digest (crypto.DigestStream), not in the DOM typings. */
type DigestStreamCtor = new (alg: string) => WritableStream<Uint8Array> & { digest: Promise<ArrayBuffer> };

/** R2 needs every part but the last to be the same size, at least 5 MiB. */
export const DEFAULT_PART_BYTES = 16 * 1024 * 1024;

/**
 * Image bytes in R2. A stream of unknown length is uploaded as a multipart upload of fixed-size
 * parts (one part buffered at a time, so memory stays flat whatever the image size); MD5 and
 * SHA-512 are computed while streaming with workerd's DigestStream.
 */
export class R2BlobStore implements BlobStore {
  constructor(private readonly bucket: R2Like, private readonly partBytes = DEFAULT_PART_BYTES) {}

  async put(key: string, body: ReadableStream<Uint8Array>): Promise<BlobDigest> {
    const DigestStream = (crypto as unknown as { DigestStream: DigestStreamCtor }).DigestStream;
    const md5 = new DigestStream("MD5"), sha = new DigestStream("SHA-512");
    const [md5w, shaw] = [md5.getWriter(), sha.getWriter()];
    const reader = body.getReader();
    let upload: R2MultipartLike | undefined;
    const parts: R2UploadedPart[] = [];
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    let size = 0;
    const flushPart = async () => {
      const all = concat(pending, pendingBytes);
      const rest = all.slice(this.partBytes);
      pending = rest.byteLength ? [rest] : [];
      pendingBytes = rest.byteLength;
      upload ??= await this.bucket.createMultipartUpload(key);
      parts.push(await upload.uploadPart(parts.length + 1, all.slice(0, this.partBytes)));
    };
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        await Promise.all([md5w.write(value), shaw.write(value)]);
        pending.push(value);
        pendingBytes += value.byteLength;
        while (pendingBytes >= this.partBytes) await flushPart();
      }
      const last = concat(pending, pendingBytes);
      if (upload) {
        if (last.byteLength > 0) parts.push(await upload.uploadPart(parts.length + 1, last));
        await upload.complete(parts);
      } else {
        await this.bucket.put(key, last);
      }
      await Promise.all([md5w.close(), shaw.close()]);
      return { size, md5: toHex(new Uint8Array(await md5.digest)), sha512: toHex(new Uint8Array(await sha.digest)) };
    } catch (err) {
      await reader.cancel(err).catch(() => undefined);
      await upload?.abort().catch(() => undefined);
      await this.bucket.delete(key).catch(() => undefined);
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

/** The first `bytes` bytes of the chunks, as one array. */
function concat(chunks: Uint8Array[], bytes: number): Uint8Array {
  if (chunks.length === 1 && chunks[0].byteLength === bytes) return chunks[0];
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const c of chunks) {
    if (at >= bytes) break;
    const take = c.subarray(0, Math.min(c.byteLength, bytes - at));
    out.set(take, at);
    at += take.byteLength;
  }
  return out;
}
