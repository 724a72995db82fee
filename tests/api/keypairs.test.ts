import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeApi, type Api } from "./harness.js";

let api: Api;
let alice: string, bob: string;
beforeAll(async () => {
  api = await makeApi();
  ({ alice, bob } = await api.memberTokens());
});
afterAll(() => api.cleanup());

const post = (token: string, keypair: unknown) => api.request("/compute/v2.1/os-keypairs", { method: "POST", token, json: { keypair } });

describe("keypairs", () => {
  it("generates an RSA key that ssh-keygen accepts, with a matching fingerprint", async () => {
    const res = await post(alice, { name: "gen" });
    expect(res.status).toBe(200);
    const { keypair } = await res.json();
    expect(keypair.public_key).toMatch(/^ssh-rsa AAAA/);
    const dir = mkdtempSync(join(tmpdir(), "kp-"));
    writeFileSync(join(dir, "id"), keypair.private_key, { mode: 0o600 });
    const derived = execFileSync("ssh-keygen", ["-y", "-f", join(dir, "id")]).toString().trim().split(" ").slice(0, 2).join(" ");
    expect(derived).toBe(keypair.public_key.split(" ").slice(0, 2).join(" "));
    writeFileSync(join(dir, "id.pub"), keypair.public_key);
    const md5 = execFileSync("ssh-keygen", ["-l", "-E", "md5", "-f", join(dir, "id.pub")]).toString();
    expect(md5).toContain(`MD5:${keypair.fingerprint}`);
  });

  it("imports an ed25519 key, shows it to its owner only, and deletes it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kp-"));
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "k")]);
    const pub = readFileSync(join(dir, "k.pub"), "utf8");
    const res = await post(alice, { name: "imported", public_key: pub });
    expect(res.status).toBe(200);
    const created = (await res.json()).keypair;
    expect(created).not.toHaveProperty("private_key");
    const md5 = execFileSync("ssh-keygen", ["-l", "-E", "md5", "-f", join(dir, "k.pub")]).toString();
    expect(md5).toContain(`MD5:${created.fingerprint}`);
    const shown = await (await api.request("/compute/v2.1/os-keypairs/imported", { token: alice })).json();
    expect(Number.isInteger(shown.keypair.id)).toBe(true);
    expect((await api.request("/compute/v2.1/os-keypairs/imported", { token: bob })).status).toBe(404);
    expect((await post(alice, { name: "imported", public_key: pub })).status).toBe(409);
    expect((await api.request("/compute/v2.1/os-keypairs/imported", { method: "DELETE", token: alice })).status).toBe(202);
    expect((await api.request("/compute/v2.1/os-keypairs/imported", { token: alice })).status).toBe(404);
  });

  it("rejects invalid keys and names", async () => {
    expect((await post(alice, { name: "bad", public_key: "ssh-rsa not-base64!" })).status).toBe(400);
    expect((await post(alice, { name: "bad", public_key: "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIP" })).status).toBe(400);
    expect((await post(alice, { name: "bad/name" })).status).toBe(400);
    expect((await post(alice, { name: "" })).status).toBe(400);
  });
});
