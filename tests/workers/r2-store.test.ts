import { createHash, randomBytes } from "node:crypto";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** R2BlobStore inside workerd (Miniflare) with a local R2 bucket: real DigestStream, real multipart. */
let mf: Miniflare;
const PART = 5 * 1024 * 1024;

beforeAll(async () => {
  const out = await build({ entryPoints: [new URL("./r2-store-worker.ts", import.meta.url).pathname], bundle: true, format: "esm", write: false, platform: "neutral" });
  mf = new Miniflare({
    modules: true, script: out.outputFiles[0].text, r2Buckets: ["BUCKET"], bindings: { PART_BYTES: String(PART) },
    compatibilityDate: "2025-09-01",
  });
  await mf.ready;
});
afterAll(() => mf?.dispose());

const digest = (b: Uint8Array) => ({ size: b.length, md5: createHash("md5").update(b).digest("hex"), sha512: createHash("sha512").update(b).digest("hex") });

/** Sends `bytes` as a stream of unknown length in odd-sized chunks, as a client upload arrives. */
function chunked(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(ctl) {
      if (at >= bytes.length) return ctl.close();
      const n = Math.min(777_777, bytes.length - at);
      ctl.enqueue(bytes.slice(at, at + n));
      at += n;
    },
  });
}
const put = (key: string, bytes: Uint8Array) => mf.dispatchFetch(`http://r2.test/${key}`, { method: "PUT", body: chunked(bytes), duplex: "half" } as never);

describe("R2BlobStore in workerd", () => {
  it("stores a small image in one put, hashing while streaming, and serves ranges", async () => {
    const bytes = randomBytes(300_000);
    const res = await put("small", bytes);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(digest(bytes));
    expect(Buffer.from(await (await mf.dispatchFetch("http://r2.test/small")).arrayBuffer()).equals(bytes)).toBe(true);
    const part = await mf.dispatchFetch("http://r2.test/small?offset=1000&length=10");
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(1000, 1010))).toBe(true);
  });

  it("uploads a large image as a multipart upload and reads back identical bytes", async () => {
    const bytes = randomBytes(PART * 2 + 123_456);
    const res = await put("large", bytes);
    expect(await res.json()).toEqual(digest(bytes));
    const bucket = await mf.getR2Bucket("BUCKET");
    const head = await bucket.head("large");
    expect(head?.size).toBe(bytes.length);
    // A multipart object's etag is "<md5 of part md5s>-<parts>": three parts here.
    expect(head?.etag).toMatch(/-3$/);
    const back = Buffer.from(await (await mf.dispatchFetch("http://r2.test/large")).arrayBuffer());
    expect(createHash("md5").update(back).digest("hex")).toBe(digest(bytes).md5);
  });

  it("leaves nothing behind when the upload stream breaks", async () => {
    let sent = 0;
    const broken = new ReadableStream<Uint8Array>({
      pull(ctl) {
        if (sent > PART * 1.5) return ctl.error(new Error("client went away"));
        ctl.enqueue(new Uint8Array(1024 * 1024));
        sent += 1024 * 1024;
      },
    });
    // One part is already uploaded when the stream breaks: the upload must not complete.
    await expect(mf.dispatchFetch("http://r2.test/broken", { method: "PUT", body: broken, duplex: "half" } as never)).rejects.toThrow();
    expect(await (await mf.getR2Bucket("BUCKET")).head("broken")).toBeNull();
  });
});
