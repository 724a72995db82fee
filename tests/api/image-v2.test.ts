import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeApi, type Api } from "./harness.js";

let api: Api;
let alice: string, bob: string, admin: string;
let web: Server;
let webUrl = "";
const bytes = new Uint8Array(Array.from({ length: 100_000 }, (_, i) => (i * 13) % 256));
const PATCH = "application/openstack-images-v2.1-json-patch";

beforeAll(async () => {
  api = await makeApi();
  ({ alice, bob } = await api.memberTokens());
  admin = await api.login("admin", "adminpw", "admin");
  web = createServer((req, res) => {
    if (req.url === "/disk.img") res.end(Buffer.from(bytes));
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => web.listen(0, "127.0.0.1", r));
  webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => web.close(r));
  await api.cleanup();
});

const json = async (res: Response) => ({ status: res.status, body: res.status === 204 ? null : await res.json() });
const create = async (token: string, body: Record<string, unknown> = {}) =>
  (await api.request("/image/v2/images", { method: "POST", token, json: { name: "img", disk_format: "raw", container_format: "bare", ...body } })).json();
const upload = (token: string, id: string, body: BodyInit = bytes) =>
  api.request(`/image/v2/images/${id}/file`, { method: "PUT", token, body, headers: { "Content-Type": "application/octet-stream" } });
const patch = (token: string, id: string, ops: unknown[], type = PATCH) =>
  api.request(`/image/v2/images/${id}`, { method: "PATCH", token, body: JSON.stringify(ops), headers: { "Content-Type": type } });
const show = async (token: string, id: string) => json(await api.request(`/image/v2/images/${id}`, { token }));
const listIds = async (token: string, query = "") =>
  ((await (await api.request(`/image/v2/images${query}`, { token })).json()).images as Array<{ id: string }>).map((i) => i.id);

/** Polls the image until `done` holds; imports finish in the background after their 202. */
async function until(id: string, done: (img: Record<string, unknown>) => boolean) {
  for (let i = 0; i < 200; i++) {
    const { body } = await show(alice, id);
    if (done(body)) return body;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`image ${id} never reached the expected state`);
}

describe("Glance v2 image records", () => {
  it("creates with properties, rejects read-only and reserved attributes", async () => {
    const img = await create(alice, { hw_disk_bus: "virtio", min_ram: 256, tags: ["a", "a"] });
    expect(img).toMatchObject({ status: "queued", visibility: "shared", hw_disk_bus: "virtio", min_ram: 256, tags: ["a"] });
    expect((await api.request("/image/v2/images", { method: "POST", token: alice, json: { status: "active" } })).status).toBe(403);
    expect((await api.request("/image/v2/images", { method: "POST", token: alice, json: { os_glance_x: "1" } })).status).toBe(403);
    expect((await api.request("/image/v2/images", { method: "POST", token: alice, json: { visibility: "public" } })).status).toBe(403);
    expect((await api.request("/image/v2/images", { method: "POST", token: alice, json: { container_format: "tarball" } })).status).toBe(400);
    expect((await api.request("/image/v2/images", { method: "POST", token: alice, json: { id: img.id } })).status).toBe(409);
  });

  it("patches core attributes and properties with Glance's status codes", async () => {
    const img = await create(alice, { distro: "debian" });
    const res = await json(await patch(alice, img.id, [{ op: "replace", path: "/name", value: "renamed" }, { op: "add", path: "/os_type", value: "linux" }, { op: "remove", path: "/distro" }]));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: "renamed", os_type: "linux" });
    expect(res.body.distro).toBeUndefined();
    expect((await patch(alice, img.id, [{ replace: "/min_disk", value: 2 }], "application/openstack-images-v2.0-json-patch")).status).toBe(200);
    expect((await show(alice, img.id)).body.min_disk).toBe(2);
    expect((await patch(alice, img.id, [{ op: "replace", path: "/size", value: 1 }])).status).toBe(403);
    expect((await patch(alice, img.id, [{ op: "remove", path: "/nope" }])).status).toBe(409);
    expect((await patch(alice, img.id, [{ op: "replace", path: "/name", value: "x" }], "application/json")).status).toBe(415);
    expect((await patch(alice, img.id, [{ op: "replace", path: "/visibility", value: "public" }])).status).toBe(403);
    const rita = await api.login("rita", "ritapw", "demo");
    expect((await patch(rita, img.id, [{ op: "replace", path: "/name", value: "r" }])).status).toBe(403);
    expect((await patch(bob, img.id, [{ op: "replace", path: "/name", value: "b" }])).status).toBe(404);
    expect((await patch(admin, img.id, [{ op: "replace", path: "/owner", value: "someone" }])).status).toBe(200);
  });

  it("tags, protection, deactivation", async () => {
    const img = await create(alice);
    expect((await api.request(`/image/v2/images/${img.id}/tags/blue`, { method: "PUT", token: alice })).status).toBe(204);
    expect((await show(alice, img.id)).body.tags).toEqual(["blue"]);
    expect((await api.request(`/image/v2/images/${img.id}/tags/red`, { method: "DELETE", token: alice })).status).toBe(404);
    expect((await api.request(`/image/v2/images/${img.id}/tags/blue`, { method: "DELETE", token: alice })).status).toBe(204);
    expect((await api.request(`/image/v2/images/${img.id}/actions/deactivate`, { method: "POST", token: alice })).status).toBe(403);
    await upload(alice, img.id);
    expect((await api.request(`/image/v2/images/${img.id}/actions/deactivate`, { method: "POST", token: alice })).status).toBe(204);
    expect((await api.request(`/image/v2/images/${img.id}/file`, { token: alice })).status).toBe(403);
    expect((await api.request(`/image/v2/images/${img.id}/file`, { token: admin })).status).toBe(200);
    expect((await api.request(`/image/v2/images/${img.id}/actions/reactivate`, { method: "POST", token: alice })).status).toBe(204);
    await patch(alice, img.id, [{ op: "replace", path: "/protected", value: true }]);
    expect((await api.request(`/image/v2/images/${img.id}`, { method: "DELETE", token: alice })).status).toBe(403);
    await patch(alice, img.id, [{ op: "replace", path: "/protected", value: false }]);
    expect((await api.request(`/image/v2/images/${img.id}`, { method: "DELETE", token: alice })).status).toBe(204);
  });

  it("lists with filters, sorting and next links", async () => {
    const a = await create(alice, { name: "list-a", tags: ["t1"] });
    const b = await create(alice, { name: "list-b", tags: ["t1"] });
    expect(await listIds(alice, "?tag=t1&sort=name:asc")).toEqual([a.id, b.id]);
    const first = await (await api.request("/image/v2/images?tag=t1&sort=name:desc&limit=1", { token: alice })).json();
    expect(first.images.map((i: { id: string }) => i.id)).toEqual([b.id]);
    const second = await (await api.request(`/image${first.next}`, { token: alice })).json();
    expect(second.images.map((i: { id: string }) => i.id)).toEqual([a.id]);
    expect(second.next).toBeUndefined();
    expect((await api.request("/image/v2/images?sort_key=secret", { token: alice })).status).toBe(400);
    expect(await listIds(bob, "?tag=t1")).toEqual([]);
  });
});

describe("Glance v2 image data", () => {
  it("serves ranges (206) and refuses unsatisfiable ones (416)", async () => {
    const img = await create(alice);
    expect((await upload(alice, img.id)).status).toBe(204);
    const part = await api.request(`/image/v2/images/${img.id}/file`, { token: alice, headers: { Range: "bytes=10-19" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("Content-Range")).toBe(`bytes 10-19/${bytes.length}`);
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(bytes.slice(10, 20));
    const bad = await api.request(`/image/v2/images/${img.id}/file`, { token: alice, headers: { Range: `bytes=${bytes.length}-` } });
    expect(bad.status).toBe(416);
    expect(bad.headers.get("Content-Range")).toBe(`bytes */${bytes.length}`);
  });

  it("an interrupted upload leaves the image queued with no data", async () => {
    const img = await create(alice);
    const broken = new ReadableStream<Uint8Array>({
      start(ctl) {
        ctl.enqueue(bytes.slice(0, 1000));
        ctl.error(new Error("client went away"));
      },
    });
    const res = await api.request(`/image/v2/images/${img.id}/file`, { method: "PUT", token: alice, body: broken, duplex: "half" } as RequestInit);
    expect(res.status).toBe(500);
    expect((await show(alice, img.id)).body).toMatchObject({ status: "queued", size: null, checksum: null });
    expect((await upload(alice, img.id)).status).toBe(204);
    expect((await show(alice, img.id)).body.status).toBe("active");
  });

  it("rejects a body shorter than its Content-Length and keeps the image queued", async () => {
    const img = await create(alice);
    const res = await api.request(`/image/v2/images/${img.id}/file`, {
      method: "PUT", token: alice, body: bytes, headers: { "Content-Type": "application/octet-stream", "Content-Length": String(bytes.length + 5) },
    });
    expect(res.status).toBe(400);
    expect((await show(alice, img.id)).body.status).toBe("queued");
  });

  it("imports with glance-direct (stage, then import) and web-download", async () => {
    const info = await (await api.request("/image/v2/info/import", { token: alice })).json();
    expect(info["import-methods"].value).toEqual(["glance-direct", "web-download"]);
    const staged = await create(alice);
    expect((await api.request(`/image/v2/images/${staged.id}/stage`, { method: "PUT", token: alice, body: bytes, headers: { "Content-Type": "application/octet-stream" } })).status).toBe(204);
    expect((await show(alice, staged.id)).body.status).toBe("uploading");
    expect((await api.request(`/image/v2/images/${staged.id}/import`, { method: "POST", token: alice, json: { method: { name: "glance-direct" } } })).status).toBe(202);
    const done = await until(staged.id, (i) => i.status === "active");
    expect(done.checksum).toBe(createHash("md5").update(bytes).digest("hex"));
    expect(done.os_glance_failed_import).toBe("");

    const fetched = await create(alice);
    expect((await api.request(`/image/v2/images/${fetched.id}/import`, { method: "POST", token: alice, json: { method: { name: "web-download", uri: `${webUrl}/disk.img` } } })).status).toBe(202);
    expect((await until(fetched.id, (i) => i.status === "active")).size).toBe(bytes.length);

    const missing = await create(alice);
    await api.request(`/image/v2/images/${missing.id}/import`, { method: "POST", token: alice, json: { method: { name: "web-download", uri: `${webUrl}/nothing` } } });
    expect(await until(missing.id, (i) => i.os_glance_failed_import === "local")).toMatchObject({ status: "queued" });
    expect((await api.request(`/image/v2/images/${missing.id}/import`, { method: "POST", token: alice, json: { method: { name: "copy-image" } } })).status).toBe(400);
    const metadata = { method: { name: "web-download", uri: "http://169.254.169.254/latest/meta-data" } };
    expect((await api.request(`/image/v2/images/${missing.id}/import`, { method: "POST", token: alice, json: metadata })).status).toBe(400);
  });
});

describe("booting from an image", () => {
  it("Nova refuses a flavor below the image's min_ram or min_disk (400, Nova's body)", async () => {
    const img = await create(alice, { min_ram: 999_999 });
    await upload(alice, img.id);
    const boot = () => api.request("/compute/v2.1/servers", { method: "POST", token: alice, json: { server: { name: "s", imageRef: img.id, flavorRef: "1", networks: "none" } } });
    const res = await json(await boot());
    expect(res).toMatchObject({ status: 400, body: { badRequest: { code: 400, message: "Flavor's memory is too small for requested image." } } });
    await patch(alice, img.id, [{ op: "replace", path: "/min_ram", value: 0 }, { op: "replace", path: "/min_disk", value: 999 }]);
    expect((await json(await boot())).body.badRequest.message).toBe("Flavor's disk is too small for requested image.");
  });
});

describe("Glance v2 sharing", () => {
  it("members see shared images once accepted; only the member answers", async () => {
    const img = await create(alice);
    const pid = api.projects.other;
    expect((await show(bob, img.id)).status).toBe(404);
    const added = await json(await api.request(`/image/v2/images/${img.id}/members`, { method: "POST", token: alice, json: { member: pid } }));
    expect(added).toMatchObject({ status: 200, body: { image_id: img.id, member_id: pid, status: "pending", schema: "/v2/schemas/member" } });
    expect((await api.request(`/image/v2/images/${img.id}/members`, { method: "POST", token: alice, json: { member: pid } })).status).toBe(409);
    expect((await show(bob, img.id)).status).toBe(200);
    expect(await listIds(bob)).not.toContain(img.id);
    expect(await listIds(bob, "?visibility=shared&member_status=pending")).toEqual([img.id]);
    const member = `/image/v2/images/${img.id}/members/${pid}`;
    expect((await api.request(member, { method: "PUT", token: alice, json: { status: "accepted" } })).status).toBe(403);
    expect((await api.request(member, { method: "PUT", token: bob, json: { status: "maybe" } })).status).toBe(400);
    expect((await api.request(member, { method: "PUT", token: bob, json: { status: "accepted" } })).status).toBe(200);
    expect(await listIds(bob)).toContain(img.id);
    expect((await json(await api.request(`/image/v2/images/${img.id}/members`, { token: bob }))).body.members).toHaveLength(1);
    expect((await patch(bob, img.id, [{ op: "replace", path: "/name", value: "mine" }])).status).toBe(403);
    expect((await api.request(member, { method: "DELETE", token: bob })).status).toBe(403);
    expect((await api.request(member, { method: "DELETE", token: alice })).status).toBe(204);
    expect((await show(bob, img.id)).status).toBe(404);
  });

  it("only shared images take members", async () => {
    const img = await create(alice, { visibility: "private" });
    expect((await api.request(`/image/v2/images/${img.id}/members`, { method: "POST", token: alice, json: { member: api.projects.other } })).status).toBe(403);
  });

  it("serves the JSON schemas", async () => {
    for (const name of ["image", "images", "member", "members"]) {
      expect((await (await api.request(`/image/v2/schemas/${name}`, { token: alice })).json()).name).toBe(name);
    }
  });
});
