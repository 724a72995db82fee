import { describe, expect, it } from "vitest";
import { keepsRouter, rankRouterHosts, reachesExternal, type L3Host } from "../../edge/src/network/router-scheduler.js";

const host = (id: string, o: Partial<L3Host> = {}): L3Host => ({ id, up: true, enabled: true, externalNetworks: null, ...o });
const publicNet = { id: "net-pub", name: "public" };

describe("router scheduler", () => {
  it("takes only hosts that are up, enabled and reach the external network", () => {
    const hosts = [
      host("down", { up: false }), host("disabled", { enabled: false }), host("elsewhere", { externalNetworks: ["other"] }),
      host("by-name", { externalNetworks: ["public"] }), host("by-id", { externalNetworks: ["net-pub"] }), host("all"),
    ];
    expect(rankRouterHosts(hosts, publicNet, new Map())).toEqual(["all", "by-id", "by-name"]);
  });

  it("places a router without a gateway on any up, enabled host, even one with no external network", () => {
    expect(rankRouterHosts([host("b", { externalNetworks: [] }), host("a", { up: false })], null, new Map())).toEqual(["b"]);
  });

  it("prefers the host with the fewest routers, ties broken by host id", () => {
    const hosts = [host("c"), host("a"), host("b")];
    expect(rankRouterHosts(hosts, publicNet, new Map([["a", 2], ["b", 1], ["c", 1]]))).toEqual(["b", "c", "a"]);
    expect(rankRouterHosts(hosts, publicNet, new Map())).toEqual(["a", "b", "c"]);
  });

  it("skips excluded hosts (the lost one, those that failed)", () => {
    expect(rankRouterHosts([host("a"), host("b")], null, new Map(), new Set(["a"]))).toEqual(["b"]);
    expect(rankRouterHosts([host("a")], null, new Map(), new Set(["a"]))).toEqual([]);
  });

  it("keeps a router on a host that is up and still reaches its gateway, disabled or not", () => {
    expect(keepsRouter(host("a", { enabled: false }), publicNet)).toBe(true);
    expect(keepsRouter(host("a", { up: false }), publicNet)).toBe(false);
    expect(keepsRouter(host("a", { externalNetworks: ["other"] }), publicNet)).toBe(false);
    expect(keepsRouter(undefined, null)).toBe(false);
  });

  it("treats no advertisement as every external network and an empty one as none", () => {
    expect(reachesExternal({ externalNetworks: null }, publicNet)).toBe(true);
    expect(reachesExternal({ externalNetworks: [] }, publicNet)).toBe(false);
    expect(reachesExternal({ externalNetworks: [] }, null)).toBe(true);
  });
});
