import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DomainNotFoundError } from "./errors.js";
import { LibvirtComputeDriver } from "./libvirt.js";
import type { DomainSpec } from "./types.js";

// libvirt's in-memory test driver: the real API, no daemon.
const URI = "test:///default";

describe("LibvirtComputeDriver on test:///default", () => {
  let prefix: string;
  let driver: LibvirtComputeDriver;
  const spec = (id: string): DomainSpec => ({
    name: `${prefix}${id}`,
    uuid: randomUUID(),
    vcpus: 1,
    memoryMb: 64,
    diskPath: `/nonexistent/${id}/disk`,
    diskFormat: "qcow2",
    nics: [{ mac: "fa:16:3e:00:00:01", bridge: "nbr-test", tap: "taptest", mtu: 1500 }],
    consoleLogPath: `/nonexistent/${id}/console.log`,
    serverId: id,
  });

  beforeEach(() => {
    prefix = `t${randomUUID().slice(0, 8)}-`;
    driver = new LibvirtComputeDriver({ uri: URI, domainType: "test", namePrefix: prefix });
  });
  afterEach(async () => {
    for (const d of await driver.list()) await driver.destroy(d.name);
    await driver.close();
  });

  it("pauses and unpauses, suspends to a save file and resumes from it", async () => {
    const s = spec("p");
    await driver.spawn(s);
    await driver.pause(s.name);
    await driver.pause(s.name);
    expect(await driver.state(s.name)).toBe("paused");
    await driver.unpause(s.name);
    expect(await driver.state(s.name)).toBe("running");
    await driver.suspend(s.name);
    expect(await driver.state(s.name)).toBe("suspended");
    await expect(driver.pause(s.name)).rejects.toThrow(/cannot pause/);
    await driver.resume(s.name);
    expect(await driver.state(s.name)).toBe("running");
  });

  it("spawns idempotently", async () => {
    const s = spec("a");
    await driver.spawn(s);
    await driver.spawn(s);
    expect(await driver.list()).toEqual([{ name: s.name, state: "running" }]);
  });

  it("spawn starts a defined but shut-off domain", async () => {
    const s = spec("a");
    await driver.spawn(s);
    await driver.stop(s.name, 5);
    expect(await driver.state(s.name)).toBe("shutoff");
    await driver.spawn(s);
    expect(await driver.state(s.name)).toBe("running");
  });

  it("stops, starts and reboots", async () => {
    const s = spec("b");
    await driver.spawn(s);
    await driver.stop(s.name, 5);
    expect(await driver.state(s.name)).toBe("shutoff");
    await driver.stop(s.name, 5);
    await driver.start(s.name);
    await driver.start(s.name);
    expect(await driver.state(s.name)).toBe("running");
    await driver.reboot(s.name, false);
    expect(await driver.state(s.name)).toBe("running");
    await driver.reboot(s.name, true);
    expect(await driver.state(s.name)).toBe("running");
  });

  it("destroys, and a missing domain is fine", async () => {
    const s = spec("c");
    await driver.spawn(s);
    await driver.destroy(s.name);
    expect(await driver.state(s.name)).toBeNull();
    await driver.destroy(s.name);
    await driver.destroy(`${prefix}never`);
  });

  it("reports missing domains as DomainNotFoundError", async () => {
    await expect(driver.start(`${prefix}nope`)).rejects.toBeInstanceOf(DomainNotFoundError);
    await expect(driver.stop(`${prefix}nope`, 1)).rejects.toBeInstanceOf(DomainNotFoundError);
    await expect(driver.reboot(`${prefix}nope`, true)).rejects.toBeInstanceOf(DomainNotFoundError);
  });

  it("lists only domains with its prefix", async () => {
    const other = new LibvirtComputeDriver({ uri: URI, domainType: "test", namePrefix: `o${prefix}` });
    await driver.spawn(spec("x"));
    await driver.spawn(spec("y"));
    const foreign = { ...spec("z"), name: `o${prefix}z` };
    await other.spawn(foreign);
    try {
      expect((await driver.list()).map((d) => d.name)).toEqual([`${prefix}x`, `${prefix}y`]);
      expect(await other.list()).toEqual([{ name: foreign.name, state: "running" }]);
    } finally {
      await other.destroy(foreign.name);
      await other.close();
    }
  });

  it("reports host info in MB", async () => {
    const info = await driver.hostInfo();
    expect(info.vcpus).toBeGreaterThan(0);
    // The test driver's node has 3 GiB.
    expect(info.memoryMb).toBe(3072);
    expect(info.hypervisorType).toBe("TEST");
    expect(info.version).toMatch(/^\d+\.\d+/);
  });
});
