import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";

const base = { NIMBUS_HOST_ID: "h1", NIMBUS_HOST_SECRET: "s" };

describe("daemon configuration: external networks", () => {
  it("reaches every external network unless told otherwise (the all-in-one)", () => {
    expect(loadConfig(base).externalNetworks).toBeUndefined();
  });

  it("lists the external networks from NIMBUS_EXTERNAL_NETWORKS, trimmed", () => {
    expect(loadConfig({ ...base, NIMBUS_EXTERNAL_NETWORKS: "public, provider-2 ," }).externalNetworks).toEqual(["public", "provider-2"]);
  });

  it("reads an empty value as none: the host takes no router with a gateway", () => {
    expect(loadConfig({ ...base, NIMBUS_EXTERNAL_NETWORKS: "" }).externalNetworks).toEqual([]);
  });
});
