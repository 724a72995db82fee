import { describe, expect, it } from "vitest";
import { hostIdOfTopic, hostMayUse, topics } from "../../shared/src/index.js";

describe("topic ACL", () => {
  it("lets a host use only its own topics", () => {
    expect(hostMayUse("h1", topics.command("h1"), "subscribe")).toBe(true);
    expect(hostMayUse("h1", topics.events("h1"), "publish")).toBe(true);
    expect(hostMayUse("h1", topics.command("h1"), "publish")).toBe(false);
    expect(hostMayUse("h1", topics.events("h2"), "publish")).toBe(false);
    expect(hostMayUse("h1", topics.command("h2"), "subscribe")).toBe(false);
    expect(hostMayUse("h1", "nimbus/host/+/cmd", "subscribe")).toBe(false);
    expect(hostMayUse("h1", "#", "subscribe")).toBe(false);
  });

  it("reads the host id from a topic", () => {
    expect(hostIdOfTopic("nimbus/host/abc/events")).toBe("abc");
    expect(hostIdOfTopic("other/host/abc/events")).toBeNull();
  });
});
