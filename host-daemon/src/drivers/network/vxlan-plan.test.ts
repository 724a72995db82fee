import { describe, expect, it } from "vitest";
import { fdbDiff, needsRecreate, overlayIsolation, parseFloodDsts, parseVxlanDevices } from "./vxlan-plan.js";

describe("vxlan plan", () => {
  it("diffs flood lists both ways and is empty when in sync", () => {
    expect(fdbDiff(["10.1.0.2", "10.1.0.3"], ["10.1.0.3", "10.1.0.4"])).toEqual({ add: ["10.1.0.4"], remove: ["10.1.0.2"] });
    expect(fdbDiff(["10.1.0.2"], ["10.1.0.2"])).toEqual({ add: [], remove: [] });
    expect(fdbDiff([], [])).toEqual({ add: [], remove: [] });
  });

  it("reads only flood entries from bridge fdb json", () => {
    const json = JSON.stringify([
      { mac: "00:00:00:00:00:00", dst: "10.1.0.3", flags: [], state: "permanent" },
      { mac: "00:00:00:00:00:00", dst: "10.1.0.2", flags: [], state: "permanent" },
      { mac: "de:ad:be:ef:00:01", master: "nbr-x", state: "" },
      { mac: "00:00:00:00:00:00", dst: "10.1.0.2" },
    ]);
    expect(parseFloodDsts(json)).toEqual(["10.1.0.2", "10.1.0.3"]);
    expect(parseFloodDsts("")).toEqual([]);
  });

  it("parses vxlan devices and tells when one must be recreated", () => {
    const json = JSON.stringify([{ ifname: "vxn-abc", master: "nbr-abc", linkinfo: { info_kind: "vxlan", info_data: { id: 7, local: "10.1.0.2", port: 4789 } } }]);
    const [d] = parseVxlanDevices(json);
    expect(d).toEqual({ name: "vxn-abc", master: "nbr-abc", vni: 7, local: "10.1.0.2", dstport: 4789 });
    expect(needsRecreate(d!, 7, "10.1.0.2")).toBe(false);
    expect(needsRecreate(d!, 8, "10.1.0.2")).toBe(true);
    expect(needsRecreate(d!, 7, "10.1.0.9")).toBe(true);
    expect(needsRecreate({ ...d!, dstport: 8472 }, 7, "10.1.0.2")).toBe(true);
  });

  it("keeps host-stack traffic off the tunnels, and removes the table when idle", () => {
    const on = overlayIsolation("t_ovl", true);
    expect(on).toContain('oifname "vxn-*" drop');
    expect(on).toContain('iifname "vxn-*" drop');
    expect(on.startsWith("table bridge t_ovl {}\ndelete table bridge t_ovl\n")).toBe(true);
    expect(overlayIsolation("t_ovl", false)).toBe("table bridge t_ovl {}\ndelete table bridge t_ovl\n");
  });
});
