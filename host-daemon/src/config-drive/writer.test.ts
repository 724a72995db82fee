import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { IsoConfigDriveWriter } from "./writer.js";

describe("IsoConfigDriveWriter (real xorriso)", () => {
  it("writes an ISO 9660 labelled config-2 with the files, readable by qemu, and removes it", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "nimbus-cd-"));
    const w = new IsoConfigDriveWriter({ stateDir });
    const path = await w.create("s1", { "openstack/latest/meta_data.json": '{"hostname":"h"}', "openstack/latest/user_data": new Uint8Array([0, 1, 2]) });
    expect(path).toBe(join(stateDir, "instances", "s1", "disk.config"));
    expect(statSync(path).mode & 0o777).toBe(0o644);
    const info = execFileSync("xorriso", ["-indev", path, "-pvd_info"], { stdio: ["ignore", "pipe", "ignore"] }).toString();
    expect(info).toMatch(/Volume Id\s*:\s*config-2/);
    const listing = execFileSync("xorriso", ["-indev", path, "-find", "/", "-type", "f"], { stdio: ["ignore", "pipe", "ignore"] }).toString();
    expect(listing).toContain("'/openstack/latest/meta_data.json'");
    expect(listing).toContain("'/openstack/latest/user_data'");
    await w.remove("s1");
    expect(existsSync(path)).toBe(false);
    await w.remove("s1"); // missing is fine
  });

  it("refuses paths that would leave the drive", async () => {
    const w = new IsoConfigDriveWriter({ stateDir: mkdtempSync(join(tmpdir(), "nimbus-cd-")) });
    await expect(w.create("s1", { "../x": "y" })).rejects.toThrow(/bad config drive path/);
    await expect(w.create("../s1", {})).rejects.toThrow(/invalid id/);
  });
});
