// A Worker exposing R2BlobStore over HTTP so a test can drive it inside workerd with local R2.
import { R2BlobStore, type R2Like } from "../../edge/src/workers/r2-blob-store.js";

export default {
  async fetch(req: Request, env: { BUCKET: R2Like; PART_BYTES: string }): Promise<Response> {
    const store = new R2BlobStore(env.BUCKET, Number(env.PART_BYTES));
    const url = new URL(req.url);
    const key = url.pathname.slice(1);
    if (req.method === "PUT") {
      try {
        return Response.json(await store.put(key, req.body!));
      } catch (err) {
        return new Response(String(err), { status: 500 });
      }
    }
    if (req.method === "DELETE") return new Response(null, (await store.delete(key), { status: 204 }));
    const offset = url.searchParams.get("offset");
    const range = offset === null ? undefined : { offset: Number(offset), length: Number(url.searchParams.get("length")) };
    const body = await store.get(key, range);
    return body ? new Response(body) : new Response(null, { status: 404 });
  },
};
