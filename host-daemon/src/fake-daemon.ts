import { makeEnvelope, type Envelope } from "#shared";
import { HostDaemon } from "./daemon.js";
import { FakeComputeDriver } from "./drivers/compute/fake.js";
import { FakeNetworkDriver } from "./drivers/network/fake.js";
import { FakeStorageDriver } from "./drivers/storage/fake.js";
import { MemoryServerRecords } from "./server-records.js";

export type StateReport = { vmState: string; powerState: number; fault?: { message: string } };

/** For unit tests: a daemon on fake drivers, fed commands directly, recording what it emits. */
export function fakeDaemon() {
  const compute = new FakeComputeDriver();
  const storage = new FakeStorageDriver();
  const events: Envelope[] = [];
  const daemon = new HostDaemon({
    compute, storage, network: new FakeNetworkDriver(), records: new MemoryServerRecords(), namePrefix: "nimbus-", stopGraceSeconds: 1,
    emit: async (m) => { events.push(m); }, reply: async () => undefined,
  });
  const send = (type: string, payload: unknown) => daemon.handle(new TextEncoder().encode(JSON.stringify(makeEnvelope(type, payload))));
  const states = () => events.filter((e) => e.type === "server.state").map((e) => e.payload as StateReport);
  return { compute, storage, events, send, states };
}
