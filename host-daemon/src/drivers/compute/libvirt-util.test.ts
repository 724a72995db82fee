import { describe, expect, it } from "vitest";
import { isDomainNotFound, mapState, parseHypervisorVersion } from "./libvirt-util.js";

describe("libvirt helpers", () => {
  it("maps libvirt states", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map(mapState)).toEqual([
      "other", "running", "running", "paused", "running", "shutoff", "crashed", "paused",
    ]);
  });

  it("recognises the not-found messages of the test and qemu drivers", () => {
    expect(isDomainNotFound(new Error("Domain not found"))).toBe(true);
    expect(isDomainNotFound(new Error("Domain not found: no domain with matching name 'x'"))).toBe(true);
    expect(isDomainNotFound(new Error("operation failed"))).toBe(false);
  });

  it("parses virsh version output", () => {
    const out = "Compiled against library: libvirt 9.0.0\nUsing API: QEMU 9.0.0\nRunning hypervisor: QEMU 7.2.22\n";
    expect(parseHypervisorVersion(out)).toEqual({ type: "QEMU", version: "7.2.22" });
    expect(parseHypervisorVersion("nothing")).toBeNull();
  });
});
