import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { clientAddress } from "../../edge/src/lib/client-address";

const app = new Hono().get("/", (c) => c.text(clientAddress(c)));
const ask = async (headers: Record<string, string>, env?: unknown) => (await app.request("/", { headers }, env)).text();

describe("clientAddress", () => {
  const node = { incoming: { socket: { remoteAddress: "192.0.2.7" } } };
  it("prefers Cloudflare's header, then the first X-Forwarded-For hop", async () => {
    expect(await ask({ "CF-Connecting-IP": "198.51.100.1", "X-Forwarded-For": "203.0.113.9" }, node)).toBe("198.51.100.1");
    expect(await ask({ "X-Forwarded-For": "203.0.113.9, 10.0.0.1" }, node)).toBe("203.0.113.9");
  });
  it("falls back to the socket's peer on Node, else to one shared bucket", async () => {
    expect(await ask({}, node)).toBe("192.0.2.7");
    expect(await ask({})).toBe("unknown");
  });
});
