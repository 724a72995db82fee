import { spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bridgeName, type GuestConfig, type PortSpec } from "#shared";
import { exec } from "../exec.js";
import { MemoryServerRecords } from "../server-records.js";
import { MetadataService } from "./service.js";

// Real bridge, veth, nft and ip rules as root, in the host namespace (where the daemon listens);
// every name is unique to this run and removed afterwards. Network namespaces stand in for guests.
const tag = randomBytes(3).toString("hex");
const networkId = randomUUID();
const bridge = bridgeName(networkId);
const table = `nimbus_mdtest_${tag}`;
const subnet = `10.${200 + (randomBytes(1)[0] % 50)}.${randomBytes(1)[0]}`;
const namespaces: string[] = [];
const links: string[] = [];
const guest = (hostname: string): GuestConfig & { name: string } => ({
  name: hostname.toUpperCase(), configDrive: false, hostname, projectId: "p", availabilityZone: "nova", flavorName: "m1.tiny", imageId: "img",
  launchIndex: 0, meta: {}, publicKeys: [{ name: "k", type: "ssh", data: "ssh-ed25519 AAAA k@x" }], userData: btoa("hello"), dnsNameservers: [],
});
const port = (n: number, mac: string): PortSpec => ({ portId: randomUUID(), networkId, mac, ip: `${subnet}.${n}`, prefixLength: 24, gateway: `${subnet}.1`, dhcpServerIp: `${subnet}.2`, mtu: 1500 });

/** A namespace plugged into the bridge like a guest NIC, with the on-link metadata route. */
async function fakeGuest(n: number, mac: string) {
  const ns = `nimbus-md-${tag}-${n}`;
  const host = `vmd${tag}${n}`;
  await exec("ip", ["netns", "add", ns]);
  namespaces.push(ns);
  await exec("ip", ["link", "add", host, "type", "veth", "peer", "name", "eth0", "netns", ns]);
  links.push(host);
  await exec("ip", ["link", "set", host, "master", bridge, "up"]);
  const inNs = (...args: string[]) => exec("ip", ["netns", "exec", ns, ...args]);
  await inNs("ip", "link", "set", "eth0", "address", mac, "up");
  await inNs("ip", "addr", "add", `${subnet}.${n}/24`, "dev", "eth0");
  await inNs("ip", "route", "add", "169.254.169.254/32", "dev", "eth0");
  return (path: string) => exec("ip", ["netns", "exec", ns, "curl", "-s", "-m", "5", "-w", "\n%{http_code}", `http://169.254.169.254${path}`], { allowFail: true })
    .then((r) => { const i = r.stdout.lastIndexOf("\n"); return { body: r.stdout.slice(0, i), status: r.stdout.slice(i + 1) }; });
}

const records = new MemoryServerRecords();
const svc = new MetadataService({ records, table });

beforeAll(async () => {
  await exec("ip", ["link", "add", bridge, "type", "bridge"]);
  links.push(bridge);
  await exec("ip", ["link", "set", bridge, "up"]);
});
afterAll(async () => {
  await svc.close();
  for (const ns of namespaces) await exec("ip", ["netns", "del", ns], { allowFail: true });
  for (const l of links.reverse()) await exec("ip", ["link", "del", l], { allowFail: true });
});

describe("metadata service (real bridge, nft and a namespace as guest)", () => {
  it("answers each guest with its own documents, identified by bridge, IP and MAC", async () => {
    const vm1 = await fakeGuest(5, "fa:16:3e:aa:00:05");
    const impostor = await fakeGuest(6, "fa:16:3e:aa:00:66");
    await records.save("s1", [port(5, "fa:16:3e:aa:00:05")], guest("vm-one"));
    await records.save("s2", [port(6, "fa:16:3e:aa:00:06")], guest("vm-two")); // .6 belongs to another MAC
    await svc.sync();

    const md = await vm1("/openstack/latest/meta_data.json");
    expect(md.status).toBe("200");
    expect(JSON.parse(md.body)).toMatchObject({ uuid: "s1", hostname: "vm-one", public_keys: { k: "ssh-ed25519 AAAA k@x" } });
    expect(await vm1("/openstack/latest/user_data")).toEqual({ body: "hello", status: "200" });
    expect(JSON.parse((await vm1("/openstack/latest/network_data.json")).body).networks[0].ip_address).toBe(`${subnet}.5`);
    expect(await vm1("/latest/meta-data/hostname")).toEqual({ body: "vm-one", status: "200" });
    expect(await vm1("/latest/meta-data/public-keys/0/openssh-key")).toEqual({ body: "ssh-ed25519 AAAA k@x", status: "200" });
    expect((await vm1("/nope")).status).toBe("404");

    expect((await impostor("/openstack/latest/meta_data.json")).status).toBe("404");
  });

  it("stops serving and removes its rules when no server uses the bridge, even with a request left hanging", async () => {
    // The guest opens a connection and never finishes its request (as one destroyed mid-request).
    const hanging = spawn("ip", ["netns", "exec", `nimbus-md-${tag}-5`, "bash", "-c",
      'exec 3<>/dev/tcp/169.254.169.254/80 && printf "GET / HTTP/1.1\\r\\n" >&3 && echo open && exec sleep 120'], { stdio: ["ignore", "pipe", "ignore"] });
    await new Promise<void>((resolve, reject) => {
      hanging.stdout.on("data", (d: Buffer) => { if (d.toString().includes("open")) resolve(); });
      hanging.once("exit", (code) => reject(new Error(`the hanging request ended early (${code})`)));
    });
    await records.remove("s1");
    await records.remove("s2");
    await svc.sync();
    const tables = await exec("nft", ["list", "tables"]);
    expect(tables.stdout).not.toContain(table);
    const addrs = await exec("ip", ["-o", "addr", "show", "dev", bridge]);
    expect(addrs.stdout).not.toContain("169.254.169.254");
    hanging.kill();
  });
});
