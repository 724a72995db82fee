import { createHash, randomBytes } from "node:crypto";
import { chmod, open, rename, rm } from "node:fs/promises";

/**
 * Streams `body` into `dest` through a temporary file beside it, hashing as it goes; only a file
 * whose md5 equals `expectedMd5` is renamed into place, readable by everyone (qemu runs as
 * libvirt-qemu). On any failure the temporary file is removed.
 */
export async function downloadVerified(body: ReadableStream<Uint8Array>, dest: string, expectedMd5: string): Promise<void> {
  const tmp = `${dest}.part-${randomBytes(4).toString("hex")}`;
  const hash = createHash("md5");
  const file = await open(tmp, "wx", 0o644);
  try {
    const reader = body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        hash.update(value);
        await file.write(value);
      }
    } catch (err) {
      await reader.cancel(err).catch(() => undefined);
      throw err;
    } finally {
      reader.releaseLock();
    }
    await file.sync();
    await file.close();
    const actual = hash.digest("hex");
    if (actual !== expectedMd5.toLowerCase()) {
      throw new Error(`checksum mismatch for ${dest}: expected ${expectedMd5}, got ${actual}`);
    }
    // The umask may have narrowed the mode given to open().
    await chmod(tmp, 0o644);
    await rename(tmp, dest);
  } catch (err) {
    await file.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
}
