import { describe, expect, it } from "vitest";
import { routeSource, underlayAddress } from "./underlay.js";

describe("underlay address", () => {
  it("reads the route's source address", () => {
    expect(routeSource('[{"dst":"10.9.0.1","dev":"eth0","prefsrc":"10.9.0.2","flags":[],"uid":0,"cache":[]}]')).toBe("10.9.0.2");
    expect(routeSource("[]")).toBeNull();
  });

  it("prefers NIMBUS_UNDERLAY_IP, else asks the kernel for the route to the broker", async () => {
    const calls: string[][] = [];
    const exec = async (cmd: string, args: string[]) => {
      calls.push([cmd, ...args]);
      return { stdout: '[{"dst":"10.9.0.1","prefsrc":"10.9.0.7"}]', stderr: "", code: 0 };
    };
    expect(await underlayAddress({ NIMBUS_UNDERLAY_IP: "192.0.2.5" }, "mqtt://10.9.0.1:1883", exec)).toBe("192.0.2.5");
    expect(calls).toEqual([]);
    expect(await underlayAddress({}, "mqtt://10.9.0.1:1883", exec)).toBe("10.9.0.7");
    expect(calls).toEqual([["ip", "-j", "-4", "route", "get", "10.9.0.1"]]);
  });
});
