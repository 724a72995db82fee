import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { BlobDigest, BlobStore } from "../image/blob-store.js";
import type { ByteRange } from "../image/range.js";

/** Image bytes as files; written to a temp name and renamed, so a partial upload never shows. */
export class FsBlobStore implements BlobStore {
  constructor(private readonly dir: string) {}

  private path(key: string): string {
    if (!/^[A-Za-z0-9-]+$/.test(key)) throw new Error(`invalid blob key ${key}`);
    return join(this.dir, key);
  }

  async put(key: string, body: ReadableStream<Uint8Array>): Promise<BlobDigest> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const final = this.path(key);
    const temp = `${final}.partial-${process.pid}-${Date.now()}`;
    const md5 = createHash("md5");
    const sha512 = createHash("sha512");
    let size = 0;
    const hasher = new Transform({
      transform(chunk: Buffer, _enc, done) {
        md5.update(chunk);
        sha512.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(body as never), hasher, createWriteStream(temp, { mode: 0o600 }));
      await rename(temp, final);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    return { size, md5: md5.digest("hex"), sha512: sha512.digest("hex") };
  }

  async get(key: string, range?: ByteRange): Promise<ReadableStream<Uint8Array> | null> {
    const path = this.path(key);
    try {
      await stat(path);
    } catch {
      return null;
    }
    const opts = range ? { start: range.offset, end: range.offset + range.length - 1 } : {};
    return Readable.toWeb(createReadStream(path, opts)) as ReadableStream<Uint8Array>;
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }
}
