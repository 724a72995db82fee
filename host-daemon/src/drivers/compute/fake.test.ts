import { describe, expect, it } from "vitest";
import { DomainNotFoundError } from "./errors.js";
import { FakeComputeDriver } from "./fake.js";
import type { DomainSpec } from "./types.js";

const spec: DomainSpec = {
  name: "nimbus-s1", uuid: "u1", vcpus: 1, memoryMb: 64, diskPath: "/d", diskFormat: "qcow2",
  nics: [], consoleLogPath: "/c", serverId: "s1",
};

describe("FakeComputeDriver", () => {
  it("tracks state through the lifecycle and records calls", async () => {
    const fake = new FakeComputeDriver();
    await fake.spawn(spec);
    await fake.spawn(spec);
    await fake.stop(spec.name, 10);
    expect(await fake.state(spec.name)).toBe("shutoff");
    await fake.start(spec.name);
    await fake.reboot(spec.name, true);
    expect(await fake.list()).toEqual([{ name: "nimbus-s1", state: "running" }]);
    await fake.destroy(spec.name);
    await fake.destroy(spec.name);
    expect(await fake.state(spec.name)).toBeNull();
    expect(fake.callsOf("spawn")).toHaveLength(2);
    expect(fake.callsOf("stop")).toEqual([["nimbus-s1", 10]]);
  });

  it("fails the next spawn once when told to", async () => {
    const fake = new FakeComputeDriver();
    fake.failNextSpawn(new Error("boom"));
    await expect(fake.spawn(spec)).rejects.toThrow("boom");
    expect(await fake.state(spec.name)).toBeNull();
    await fake.spawn(spec);
    expect(await fake.state(spec.name)).toBe("running");
  });

  it("throws DomainNotFoundError for unknown domains and reports host info", async () => {
    const fake = new FakeComputeDriver({ hostInfo: { vcpus: 2 } });
    await expect(fake.start("nope")).rejects.toBeInstanceOf(DomainNotFoundError);
    expect(await fake.hostInfo()).toMatchObject({ vcpus: 2, memoryMb: 8192 });
  });
});
