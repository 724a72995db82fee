import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import type { ImageUploader } from "./types.js";

/** Uploads snapshot files to the edge's host-facing image route with the host's Authorization header. */
export function httpImageUploader(authorization: string): ImageUploader {
  return {
    async put(url, path) {
      const { size } = await stat(path);
      const res = await fetch(url, {
        method: "PUT", duplex: "half", body: Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>,
        headers: { Authorization: authorization, "Content-Type": "application/octet-stream", "Content-Length": String(size) },
      } as RequestInit);
      if (!res.ok) throw new Error(`image upload failed: ${res.status} ${await res.text()}`);
    },
    async remove(url) {
      const res = await fetch(url, { method: "DELETE", headers: { Authorization: authorization } });
      if (!res.ok && res.status !== 404) throw new Error(`image removal failed: ${res.status}`);
    },
  };
}
