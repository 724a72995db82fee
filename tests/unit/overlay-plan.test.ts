import { describe, expect, it } from "vitest";
import { nextVni, overlayPlan } from "../../edge/src/network/overlay-plan.js";

const hosts = [
  { id: "a", online: true, underlayIp: "10.9.0.2" },
  { id: "b", online: true, underlayIp: "10.9.0.3" },
  { id: "c", online: true, underlayIp: "10.9.0.4" },
  { id: "off", online: false, underlayIp: "10.9.0.5" },
  { id: "noip", online: true, underlayIp: null },
];
const segs = new Map([["n1", { vni: 1, mtu: 1450 }], ["n2", { vni: 2, mtu: 1400 }]]);

describe("overlay plan", () => {
  it("gives each carrier of a network the other carriers' endpoints, once each", () => {
    const plan = overlayPlan([
      { networkId: "n1", hostId: "a" }, { networkId: "n1", hostId: "a" }, { networkId: "n1", hostId: "b" },
      { networkId: "n2", hostId: "b" }, { networkId: "n2", hostId: "c" },
    ], hosts, segs);
    expect(plan.get("a")).toEqual([{ networkId: "n1", vni: 1, mtu: 1450, peers: ["10.9.0.3"] }]);
    expect(plan.get("b")).toEqual([{ networkId: "n1", vni: 1, mtu: 1450, peers: ["10.9.0.2"] }, { networkId: "n2", vni: 2, mtu: 1400, peers: ["10.9.0.4"] }]);
    expect(plan.get("c")).toEqual([{ networkId: "n2", vni: 2, mtu: 1400, peers: ["10.9.0.3"] }]);
  });

  it("leaves out offline hosts, hosts without an underlay and unsegmented (external) networks", () => {
    const plan = overlayPlan([
      { networkId: "n1", hostId: "a" }, { networkId: "n1", hostId: "off" }, { networkId: "n1", hostId: "noip" },
      { networkId: "ext", hostId: "a" }, { networkId: "ext", hostId: "b" },
    ], hosts, segs);
    expect([...plan.keys()]).toEqual(["a", "b", "c"]);
    expect(plan.get("a")).toEqual([{ networkId: "n1", vni: 1, mtu: 1450, peers: [] }]);
    // Hosts carrying nothing still get an (empty) entry, so they tear down what they had.
    expect(plan.get("b")).toEqual([]);
  });

  it("never lists a host as its own peer, even when two hosts share an endpoint", () => {
    const plan = overlayPlan([{ networkId: "n1", hostId: "a" }, { networkId: "n1", hostId: "b" }],
      [{ id: "a", online: true, underlayIp: "10.9.0.2" }, { id: "b", online: true, underlayIp: "10.9.0.2" }], segs);
    expect(plan.get("a")![0]!.peers).toEqual([]);
  });

  it("allocates the smallest free VNI", () => {
    expect(nextVni([])).toBe(1);
    expect(nextVni([1, 2, 4])).toBe(3);
    expect(nextVni([2])).toBe(1);
  });
});
