import { describe, expect, it } from "vitest";
import { makeEnvelope, type Envelope, type PortSpec } from "#shared";
import { HostDaemon } from "../daemon.js";
import { FakeComputeDriver } from "../drivers/compute/fake.js";
import { FakeNetworkDriver } from "../drivers/network/fake.js";
import { FakeStorageDriver } from "../drivers/storage/fake.js";
import { MemoryServerRecords } from "../server-records.js";

const port: PortSpec = { portId: "p1", networkId: "n1", mac: "fa:16:3e:00:00:01", ip: "10.0.0.3", prefixLength: 24, gateway: "10.0.0.1", dhcpServerIp: "10.0.0.2", mtu: 1500 };
const payload = {
  serverId: "s1", name: "vm", vcpus: 1, memoryMb: 512, diskGb: 1, ports: [port],
  image: { id: "img", checksum: "0".repeat(32), size: 1, diskFormat: "qcow2", url: "http://api/internal/images/img/file" },
};

describe("daemon and the metadata service", () => {
  it("re-syncs the service after a build and a delete, seeing the records of that moment; its failure fails neither", async () => {
    const records = new MemoryServerRecords();
    const seen: string[][] = [];
    let fail = true;
    const events: Envelope[] = [];
    const daemon = new HostDaemon({
      compute: new FakeComputeDriver(), storage: new FakeStorageDriver(), network: new FakeNetworkDriver(), records, namePrefix: "nimbus-", stopGraceSeconds: 1,
      emit: async (m) => { events.push(m); }, reply: async () => undefined,
      metadata: { sync: async () => { seen.push(await records.list()); if (fail) throw new Error("nft missing"); } },
    });
    const send = (type: string, p: unknown) => daemon.handle(new TextEncoder().encode(JSON.stringify(makeEnvelope(type, p))));
    await send("server.create", payload);
    fail = false;
    await send("server.delete", { serverId: "s1", ports: [port] });
    expect(seen).toEqual([["s1"], []]);
    const states = events.filter((e) => e.type === "server.state").map((e) => (e.payload as { vmState: string }).vmState);
    expect(states).toEqual(["active", "deleted"]);
  });
});
