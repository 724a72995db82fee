import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LibvirtComputeDriver } from "./libvirt.js";
import type { DomainSpec } from "./types.js";

// Real QEMU (TCG) through libvirtd. Needs `virtlogd -d; libvirtd -d` as root beforehand.
const URI = "qemu:///system";
const BANNER = "NIMBUS-BOOT-OK";

/** A 512-byte MBR whose code prints BANNER to COM1 (port 0x3f8), then halts forever. */
function bootSector(): Buffer {
  const code = [
    0x31, 0xc0, 0x8e, 0xd8, // xor ax,ax; mov ds,ax
    0xba, 0xf8, 0x03, // mov dx,0x3f8
    0xbe, 0x16, 0x7c, // mov si,0x7c16 (the message)
    0xfc, 0xac, // cld; lodsb
    0x84, 0xc0, 0x74, 0x03, // test al,al; jz +3
    0xee, 0xeb, 0xf8, // out dx,al; jmp lodsb
    0xf4, 0xeb, 0xfd, // hlt; jmp hlt
  ];
  const mbr = Buffer.alloc(512);
  Buffer.from(code).copy(mbr);
  Buffer.from(`${BANNER}\r\n\0`, "latin1").copy(mbr, code.length);
  mbr[510] = 0x55;
  mbr[511] = 0xaa;
  return mbr;
}

async function waitFor(pred: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

describe("LibvirtComputeDriver on qemu:///system", () => {
  let dir: string;
  let driver: LibvirtComputeDriver;
  const prefix = `nimbus-it-${randomUUID().slice(0, 8)}-`;
  const spec = (id: string): DomainSpec => ({
    name: `${prefix}${id}`,
    uuid: randomUUID(),
    vcpus: 1,
    memoryMb: 64,
    diskPath: join(dir, "disk.raw"),
    diskFormat: "raw",
    nics: [],
    consoleLogPath: join(dir, `${id}.log`),
    serverId: id,
  });

  beforeAll(async () => {
    try {
      execFileSync("virsh", ["-c", URI, "list"], { stdio: "pipe" });
    } catch (err) {
      throw new Error(`libvirtd is not answering on ${URI}; start it with "virtlogd -d; libvirtd -d": ${err}`);
    }
    dir = await mkdtemp(join(tmpdir(), "nimbus-qemu-"));
    // qemu runs as libvirt-qemu: it must traverse the directory and read the disk.
    await chmod(dir, 0o755);
    const disk = Buffer.alloc(1024 * 1024);
    bootSector().copy(disk);
    await writeFile(join(dir, "disk.raw"), disk, { mode: 0o644 });
    driver = new LibvirtComputeDriver({ uri: URI, domainType: "qemu", namePrefix: prefix });
  });

  afterAll(async () => {
    if (driver) {
      for (const d of await driver.list()) await driver.destroy(d.name);
      await driver.close();
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("boots a guest whose serial output lands in the console log, then stops and destroys it", async () => {
    const s = spec("boot");
    await driver.spawn(s);
    await driver.spawn(s);
    expect(await driver.state(s.name)).toBe("running");
    const log = () => readFile(s.consoleLogPath, "utf8").catch(() => "");
    expect(await waitFor(async () => (await log()).includes(BANNER), 30_000)).toBe(true);

    // The guest ignores ACPI, so stop falls back to a power-off after the grace period.
    const t0 = Date.now();
    await driver.stop(s.name, 1);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(await driver.state(s.name)).toBe("shutoff");

    await driver.reboot(s.name, true);
    expect(await driver.state(s.name)).toBe("running");
    await driver.destroy(s.name);
    expect(await driver.state(s.name)).toBeNull();
  }, 60_000);

  it("undefines what it defined when the start fails", async () => {
    const s = { ...spec("nobridge"), nics: [{ mac: "fa:16:3e:00:00:09", bridge: "nbr-missing0", tap: "tapmissing0", mtu: 1500 }] };
    await expect(driver.spawn(s)).rejects.toThrow();
    expect(await driver.state(s.name)).toBeNull();
  }, 30_000);
});
