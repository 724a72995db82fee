import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeApi, type Api } from "./harness.js";

let api: Api;
let alice: string, bob: string;
beforeAll(async () => {
  api = await makeApi();
  ({ alice, bob } = await api.memberTokens());
});
afterAll(() => api.cleanup());

const bytes = new Uint8Array(Array.from({ length: 300_000 }, (_, i) => (i * 7) % 251));

describe("image", () => {
  it("creates, uploads, hashes, downloads and deletes", async () => {
    const created = await api.request("/image/v2/images", { method: "POST", token: alice, json: { name: "blob", disk_format: "raw", container_format: "bare", "owner_specified.openstack.md5": "" } });
    expect(created.status).toBe(201);
    const img = await created.json();
    expect(img.status).toBe("queued");
    expect(img["owner_specified.openstack.md5"]).toBe("");
    const put = await api.request(`/image/v2/images/${img.id}/file`, { method: "PUT", token: alice, body: bytes, headers: { "Content-Type": "application/octet-stream" } });
    expect(put.status).toBe(204);
    const shown = await (await api.request(`/image/v2/images/${img.id}`, { token: alice })).json();
    expect(shown.status).toBe("active");
    expect(shown.size).toBe(bytes.length);
    expect(shown.checksum).toBe(createHash("md5").update(bytes).digest("hex"));
    expect(shown.os_hash_value).toBe(createHash("sha512").update(bytes).digest("hex"));
    const again = await api.request(`/image/v2/images/${img.id}/file`, { method: "PUT", token: alice, body: bytes });
    expect(again.status).toBe(409);
    const got = await api.request(`/image/v2/images/${img.id}/file`, { token: alice });
    expect(got.headers.get("Content-MD5")).toBe(shown.checksum);
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(bytes);
    expect((await api.request(`/image/v2/images/${img.id}`, { token: bob })).status).toBe(404);
    expect((await api.request(`/image/v2/images/${img.id}`, { method: "DELETE", token: alice })).status).toBe(204);
    expect((await api.request(`/image/v2/images/${img.id}`, { token: alice })).status).toBe(404);
  });

  it("rejects an unknown disk format", async () => {
    const res = await api.request("/image/v2/images", { method: "POST", token: alice, json: { name: "x", disk_format: "floppy" } });
    expect(res.status).toBe(400);
  });

  it("serves image bytes to hosts only with host credentials", async () => {
    const img = await (await api.request("/image/v2/images", { method: "POST", token: alice, json: { name: "h", disk_format: "raw", container_format: "bare" } })).json();
    await api.request(`/image/v2/images/${img.id}/file`, { method: "PUT", token: alice, body: bytes });
    const hostId = await api.addHost("host-img");
    const { secret } = await (await import("../../edge/src/hosts/enroll.js")).enrollHost(api.db, hostId);
    const anon = await api.request(`/internal/images/${img.id}/file`);
    expect(anon.status).toBe(401);
    const wrong = await api.request(`/internal/images/${img.id}/file`, { headers: { Authorization: `Basic ${btoa(`${hostId}:nope`)}` } });
    expect(wrong.status).toBe(401);
    const ok = await api.request(`/internal/images/${img.id}/file`, { headers: { Authorization: `Basic ${btoa(`${hostId}:${secret}`)}` } });
    expect(ok.status).toBe(200);
    expect((await ok.arrayBuffer()).byteLength).toBe(bytes.length);
  });
});
