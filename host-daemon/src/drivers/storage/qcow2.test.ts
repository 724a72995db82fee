import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ImageRef } from "#shared";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { exec } from "../../exec.js";
import { Qcow2StorageDriver } from "./qcow2.js";

const md5 = (b: Buffer) => createHash("md5").update(b).digest("hex");
const mode = async (p: string) => (await stat(p)).mode & 0o777;
const qemuInfo = async (p: string) => JSON.parse((await exec("qemu-img", ["info", "--output=json", p])).stdout);

/** A body served in two chunks, after a short delay so concurrent callers overlap. */
function streamOf(bytes: Buffer): ReadableStream<Uint8Array> {
  return new ReadableStream({
    async start(c) {
      await new Promise((r) => setTimeout(r, 20));
      c.enqueue(new Uint8Array(bytes.subarray(0, 1000)));
      c.enqueue(new Uint8Array(bytes.subarray(1000)));
      c.close();
    },
  });
}

describe("Qcow2StorageDriver", () => {
  let base: Buffer;
  let stateDir: string;
  let fetches: string[];
  let served: Buffer;
  let driver: Qcow2StorageDriver;
  const image = (over: Partial<ImageRef> = {}): ImageRef => ({
    id: "img-1", checksum: md5(base), size: base.length, diskFormat: "qcow2", url: "http://glance/img-1", ...over,
  });

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), "nimbus-base-"));
    await exec("qemu-img", ["create", "-q", "-f", "qcow2", join(dir, "base"), "64M"]);
    base = await readFile(join(dir, "base"));
    await rm(dir, { recursive: true });
  });

  beforeEach(async () => {
    stateDir = join(await mkdtemp(join(tmpdir(), "nimbus-storage-")), "state");
    fetches = [];
    served = base;
    driver = new Qcow2StorageDriver({
      stateDir,
      fetchImage: async (url) => {
        fetches.push(url);
        return streamOf(served);
      },
    });
  });
  afterEach(() => rm(join(stateDir, ".."), { recursive: true, force: true }));

  it("downloads an image once for concurrent callers, world-readable", async () => {
    const [a, b] = await Promise.all([driver.ensureImage(image()), driver.ensureImage(image())]);
    expect(a).toBe(join(stateDir, "images", "img-1"));
    expect(b).toBe(a);
    expect(await driver.ensureImage(image())).toBe(a);
    expect(fetches).toEqual(["http://glance/img-1"]);
    expect(md5(await readFile(a))).toBe(md5(base));
    expect(await mode(a)).toBe(0o644);
    expect(await mode(stateDir)).toBe(0o755);
    expect(await mode(join(stateDir, "images"))).toBe(0o755);
  });

  it("discards a download whose checksum does not match", async () => {
    await expect(driver.ensureImage(image({ checksum: "0".repeat(32) }))).rejects.toThrow("checksum mismatch");
    expect(await readdir(join(stateDir, "images"))).toEqual([]);
    // The failed download is not cached: a later call fetches again.
    await driver.ensureImage(image());
    expect(fetches).toHaveLength(2);
  });

  it("leaves nothing behind when the stream breaks", async () => {
    const broken = new Qcow2StorageDriver({
      stateDir,
      fetchImage: async () =>
        new ReadableStream({ start: (c) => (c.enqueue(new Uint8Array(10)), c.error(new Error("reset"))) }),
    });
    await expect(broken.ensureImage(image())).rejects.toThrow("reset");
    expect(await readdir(join(stateDir, "images"))).toEqual([]);
  });

  it("refuses an image that has a backing file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "nimbus-evil-"));
    await exec("qemu-img", ["create", "-q", "-f", "qcow2", "-F", "raw", "-b", "/etc/hostname", join(dir, "evil")]);
    served = await readFile(join(dir, "evil"));
    await rm(dir, { recursive: true });
    await expect(driver.ensureImage(image({ checksum: md5(served) }))).rejects.toThrow("backing file");
    expect(await readdir(join(stateDir, "images"))).toEqual([]);
  });

  it("creates an overlay on the base, grown to diskGb, idempotently", async () => {
    const basePath = await driver.ensureImage(image());
    const disk = await driver.createDisk("srv-1", basePath, 1);
    expect(disk).toBe(join(stateDir, "instances", "srv-1", "disk"));
    const info = await qemuInfo(disk);
    expect(info).toMatchObject({ format: "qcow2", "virtual-size": 1024 ** 3, "backing-filename": basePath });
    expect(info["backing-filename-format"]).toBe("qcow2");
    expect(await mode(join(stateDir, "instances", "srv-1"))).toBe(0o755);
    expect(await driver.createDisk("srv-1", basePath, 1)).toBe(disk);
    // diskGb smaller than the base (or 0) keeps the base's size.
    expect((await qemuInfo(await driver.createDisk("srv-2", basePath, 0)))["virtual-size"]).toBe(64 * 1024 ** 2);
    expect(await driver.listServers()).toEqual(["srv-1", "srv-2"]);
    await driver.deleteServerFiles("srv-1");
    await driver.deleteServerFiles("srv-1");
    expect(await driver.listServers()).toEqual(["srv-2"]);
  });

  it("reads the tail of the console log", async () => {
    expect(await driver.readConsole("srv-9", 10)).toBe("");
    expect(driver.consoleLogPath("srv-9")).toBe(join(stateDir, "instances", "srv-9", "console.log"));
    await mkdir(join(stateDir, "instances", "srv-9"), { recursive: true });
    await writeFile(driver.consoleLogPath("srv-9"), "one\ntwo\nthree\n");
    expect(await driver.readConsole("srv-9", 2)).toBe("two\nthree\n");
    expect(await driver.readConsole("srv-9", null)).toBe("one\ntwo\nthree\n");
    const capped = new Qcow2StorageDriver({ stateDir, fetchImage: async () => streamOf(base), maxConsoleBytes: 8 });
    expect(await capped.readConsole("srv-9", null)).toBe("three\n");
  });

  it("trims the cache least recently used first, sparing images a server's disk is backed by", async () => {
    const lru = new Qcow2StorageDriver({ stateDir, fetchImage: async () => streamOf(base), cacheBytes: base.length * 2, cacheGraceMs: 0 });
    const img = (id: string) => image({ id, url: `http://glance/${id}` });
    const backed = await lru.ensureImage(img("img-a"));
    await lru.createDisk("srv-a", backed, 0);
    await lru.ensureImage(img("img-b"));
    await lru.ensureImage(img("img-c"));
    // Three images over a two-image cap: img-a is oldest but backs srv-a, so img-b goes.
    expect((await readdir(join(stateDir, "images"))).sort()).toEqual(["img-a", "img-a.format", "img-c", "img-c.format"]);
    await lru.deleteServerFiles("srv-a");
    await lru.ensureImage(img("img-c"));
    await lru.ensureImage(img("img-d"));
    expect((await readdir(join(stateDir, "images"))).sort()).toEqual(["img-c", "img-c.format", "img-d", "img-d.format"]);
  });

  it("snapshots a server's disk chain into one standalone qcow2 and uploads it", async () => {
    let uploaded: { url: string; info: Record<string, unknown>; tmp: string } | undefined;
    const snap = new Qcow2StorageDriver({
      stateDir, fetchImage: async () => streamOf(base),
      uploadImage: { put: async (url, path) => void (uploaded = { url, info: await qemuInfo(path), tmp: path }), remove: async () => undefined },
    });
    await snap.createDisk("srv-s", await snap.ensureImage(image()), 1);
    let uploadingCalled = false;
    await snap.snapshotToImage("srv-s", "http://edge/internal/images/x/file", async () => void (uploadingCalled = true));
    expect(uploadingCalled).toBe(true);
    expect(uploaded?.url).toBe("http://edge/internal/images/x/file");
    expect(uploaded?.info).toMatchObject({ format: "qcow2", "virtual-size": 1024 ** 3 });
    expect(uploaded?.info["backing-filename"]).toBeUndefined();
    // The temporary copy is gone; only the server's own files stay.
    expect((await readdir(join(stateDir, "instances", "srv-s"))).sort()).toEqual(["disk"]);
    await expect(snap.snapshotToImage("srv-none", "http://edge/x")).rejects.toThrow("no disk");
  });

  it("rejects ids that would escape its directories", async () => {
    await expect(driver.ensureImage(image({ id: "../x" }))).rejects.toThrow("invalid id");
    await expect(driver.deleteServerFiles("..")).rejects.toThrow("invalid id");
  });
});
