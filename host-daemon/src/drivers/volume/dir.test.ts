import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { exec } from "../../exec.js";
import { DirVolumeDriver } from "./dir.js";

const GiB = 1024 ** 3;
const info = async (p: string) => JSON.parse((await exec("qemu-img", ["info", "-U", "--output=json", p])).stdout) as { format: string; "virtual-size": number; "backing-filename"?: string };
/** Writes `text` at byte 0 of the volume's guest-visible disk, through qemu-io (as a guest would). */
const writeMarker = (path: string, text: string) => exec("qemu-io", ["-f", "qcow2", "-c", `write -P 0x${Buffer.from(text[0]!).toString("hex")} 0 4096`, path]);
const readsPattern = async (path: string, ch: string) => (await exec("qemu-io", ["-f", "qcow2", "-c", `read -P 0x${Buffer.from(ch).toString("hex")} 0 4096`, path], { allowFail: true })).code === 0;

describe("DirVolumeDriver (real qemu-img)", () => {
  let dir: string;
  let driver: DirVolumeDriver;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "nimbus-pool-"));
    driver = new DirVolumeDriver({ poolDir: join(dir, "pool") });
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("creates empty volumes of the asked size, idempotently, readable by qemu's user", async () => {
    await driver.create("v1", 2, { kind: "empty" });
    await driver.create("v1", 2, { kind: "empty" });
    const { path, format } = driver.locate("v1");
    expect(format).toBe("qcow2");
    expect((await info(path))["virtual-size"]).toBe(2 * GiB);
    expect((await stat(path)).mode & 0o777).toBe(0o666);
    expect(await readdir(join(dir, "pool"))).toEqual(["volume-v1.qcow2"]);
  });

  it("extends but never shrinks", async () => {
    await driver.create("v1", 1, { kind: "empty" });
    await driver.extend("v1", 3);
    await driver.extend("v1", 2);
    expect((await info(driver.locate("v1").path))["virtual-size"]).toBe(3 * GiB);
    await expect(driver.extend("nope", 3)).rejects.toThrow(/does not exist/);
  });

  it("snapshots are independent copies; volumes from snapshots and volumes carry the data", async () => {
    await driver.create("v1", 1, { kind: "empty" });
    await writeMarker(driver.locate("v1").path, "A");
    await driver.snapshot("v1", "s1");
    await writeMarker(driver.locate("v1").path, "B");
    await driver.create("v2", 2, { kind: "snapshot", snapshotId: "s1" });
    const v2 = await info(driver.locate("v2").path);
    expect(v2["virtual-size"]).toBe(2 * GiB);
    expect(v2["backing-filename"]).toBeUndefined();
    expect(await readsPattern(driver.locate("v2").path, "A")).toBe(true);
    expect(await readsPattern(driver.locate("v2").path, "B")).toBe(false);
    await driver.create("v3", 1, { kind: "volume", volumeId: "v1" });
    expect(await readsPattern(driver.locate("v3").path, "B")).toBe(true);
    expect(await driver.inventory()).toMatchObject({ volumes: ["v1", "v2", "v3"], snapshots: ["s1"] });
    await driver.deleteSnapshot("s1");
    await driver.delete("v2");
    await driver.delete("v2");
    expect(await driver.inventory()).toMatchObject({ volumes: ["v1", "v3"], snapshots: [] });
  });

  it("deletes a volume's and its snapshots' files, leftovers of interrupted copies included; nothing is readable after", async () => {
    await driver.create("v1", 1, { kind: "empty" });
    await writeMarker(driver.locate("v1").path, "A");
    await driver.snapshot("v1", "s1");
    const pool = join(dir, "pool");
    await writeFile(join(pool, "volume-v1.qcow2.tmp-dead"), "half a copy");
    await writeFile(join(pool, "snapshot-s1.qcow2.tmp-dead"), "half a copy");
    await driver.deleteSnapshot("s1");
    await driver.delete("v1");
    expect(await readdir(pool)).toEqual([]);
    // A volume made again under the same name starts blank: the old blocks are gone with the file.
    await driver.create("v1", 1, { kind: "empty" });
    expect(await readsPattern(driver.locate("v1").path, "\0")).toBe(true);
    expect(await readsPattern(driver.locate("v1").path, "A")).toBe(false);
  });

  it("copies a raw image file into a qcow2 volume grown to the volume size", async () => {
    const raw = join(dir, "img.raw");
    await exec("qemu-img", ["create", "-q", "-f", "raw", raw, "16M"]);
    await driver.create("v1", 1, { kind: "file", path: raw, format: "raw" });
    expect(await info(driver.locate("v1").path)).toMatchObject({ format: "qcow2", "virtual-size": GiB });
  });

  it("leaves nothing behind when qemu-img fails, and refuses ids that are not file names", async () => {
    await expect(driver.create("v1", 1, { kind: "snapshot", snapshotId: "missing" })).rejects.toThrow();
    expect(await readdir(join(dir, "pool"))).toEqual([]);
    expect(() => driver.locate("../etc")).toThrow(/invalid id/);
  });
});
