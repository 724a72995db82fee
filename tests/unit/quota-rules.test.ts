import { describe, expect, it } from "vitest";
import { DEFAULT_QUOTAS, instancesThatFit, overLimit, quotaMessage, resolveLimits, validateQuotaUpdate } from "../../edge/src/compute/quota-rules.js";

describe("quota rules", () => {
  it("resolves project over class over built-in defaults", () => {
    const l = resolveLimits({ cores: 40, ram: 1000 }, { cores: 8 });
    expect(l.cores).toBe(8);
    expect(l.ram).toBe(1000);
    expect(l.instances).toBe(DEFAULT_QUOTAS.instances);
  });

  it("reports each resource the request would exceed, with Nova's message", () => {
    const e = overLimit({ instances: 2, cores: 4, ram: -1 }, { instances: 2, cores: 2, ram: 1e9 }, { instances: 1, cores: 2, ram: 512 });
    expect(e.map((x) => x.resource)).toEqual(["instances"]);
    expect(quotaMessage(e)).toBe("Quota exceeded for instances: Requested 1, but already used 2 of 2 instances");
    expect(overLimit({ cores: 4 }, { cores: 3 }, { cores: 2 })[0]).toEqual({ resource: "cores", requested: 2, used: 3, limit: 4 });
    expect(overLimit({ cores: 4 }, { cores: 2 }, { cores: 2 })).toEqual([]);
  });

  it("treats -1 as unlimited", () => {
    expect(overLimit({ instances: -1 }, { instances: 1e6 }, { instances: 1 })).toEqual([]);
    expect(instancesThatFit({ instances: -1, cores: -1, ram: -1 }, {}, { cores: 1, ram: 1 })).toBe(Infinity);
  });

  it("counts how many instances fit under every limit", () => {
    expect(instancesThatFit({ instances: 10, cores: 5, ram: 4096 }, { instances: 1, cores: 1, ram: 0 }, { cores: 2, ram: 1024 })).toBe(2);
    expect(instancesThatFit({ instances: 1, cores: 5, ram: 4096 }, { instances: 1 }, { cores: 1, ram: 1 })).toBe(0);
  });

  it("validates updates: integers >= -1, unknown keys, not below usage unless forced", () => {
    expect(validateQuotaUpdate({ cores: "5", instances: -1, force: true }, {}, false)).toEqual({ cores: 5, instances: -1 });
    expect(() => validateQuotaUpdate({ cores: -2 }, {}, false)).toThrow(RangeError);
    expect(() => validateQuotaUpdate({ cores: 1.5 }, {}, false)).toThrow(RangeError);
    expect(() => validateQuotaUpdate({ bogus: 1 }, {}, false)).toThrow(/bogus/);
    expect(() => validateQuotaUpdate({ cores: 1 }, { cores: 4 }, false)).toThrow(/greater than or equal to already used and reserved 4/);
    expect(validateQuotaUpdate({ cores: 1 }, { cores: 4 }, true)).toEqual({ cores: 1 });
  });
});
