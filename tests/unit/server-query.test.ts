import { describe, expect, it } from "vitest";
import type { servers } from "../../edge/src/db/schema.js";
import { MarkerNotFound, selectServers } from "../../edge/src/compute/server-query.js";

type ServerRow = (typeof servers)["$inferSelect"];
const row = (id: string, name: string): ServerRow => ({ id, name, vmState: "active", taskState: null, flavorId: "1", imageId: "img", updatedAt: "2026-01-01T00:00:00.000Z" }) as ServerRow;
const rows = [row("a", "web-1"), row("b", "web-2"), row("c", "db")];
const ips: Record<string, string[]> = { a: ["10.0.0.3"], b: ["10.0.0.30", "192.168.1.5"], c: ["10.0.0.4"] };
const ipsOf = (id: string) => ips[id] ?? [];

describe("selectServers", () => {
  it("matches `ip` as a regular expression anchored at the start of any fixed address", () => {
    expect(selectServers(rows, { ip: "10.0.0.3" }, ipsOf).map((s) => s.id)).toEqual(["a", "b"]);
    expect(selectServers(rows, { ip: "10\\.0\\.0\\.3$" }, ipsOf).map((s) => s.id)).toEqual(["a"]);
    expect(selectServers(rows, { ip: "168" }, ipsOf)).toEqual([]);
    expect(selectServers(rows, { ip: "192" }, ipsOf).map((s) => s.id)).toEqual(["b"]);
  });

  it("treats a name that is no valid regular expression literally, and rejects an unknown marker", () => {
    expect(selectServers([...rows, row("d", "web[")], { name: "web[" }).map((s) => s.id)).toEqual(["d"]);
    expect(selectServers(rows, { name: "^web" }).map((s) => s.id)).toEqual(["a", "b"]);
    expect(() => selectServers(rows, { marker: "zz" })).toThrow(MarkerNotFound);
  });
});
