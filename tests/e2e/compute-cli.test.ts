import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGuestCloud, type AllInOne } from "./all-in-one.js";

// Every Nova verb of issue 6 through the unmodified openstack CLI, on one real guest.
const run = promisify(execFile);
let cloud: AllInOne;
beforeAll(async () => {
  // Its own private CIDR: other clouds on this kernel may hold 10.0.0.0/24 at the same time.
  cloud = await startGuestCloud({ NIMBUS_PRIVATE_CIDR: "10.213.0.0/24", NIMBUS_PUBLIC_CIDR: "172.31.213.0/24" });
}, 180_000);
afterAll(async () => { await cloud?.stop(); });

const os = (...args: string[]) => cloud.openstack(args);
const admin = (...args: string[]) => cloud.openstack(args, "nimbus-admin");
// The CLI speaks 2.1 unless told; tags and `locked` need later microversions.
const os26 = (...args: string[]) => cloud.openstack(["--os-compute-api-version", "2.26", ...args]);
const json = async (...args: string[]) => JSON.parse(await os(...args, "-f", "json"));
const field = async (name: string, f: string) => (await os("server", "show", name, "-f", "value", "-c", f)).trim();
const waitStatus = (name: string, status: string) => expect.poll(() => field(name, "status"), { timeout: 180_000, interval: 500 }).toBe(status);

describe("the openstack CLI drives every server action", () => {
  it("keypairs: generates RSA and imports ed25519 with the same fingerprint ssh-keygen prints", async () => {
    expect(await os("keypair", "create", "cli-gen")).toContain("PRIVATE KEY");
    const keyFile = join(cloud.stateDir, "cli-ed");
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", keyFile]);
    const imported = await json("keypair", "create", "--public-key", `${keyFile}.pub`, "cli-ed");
    const local = (await run("ssh-keygen", ["-l", "-E", "md5", "-f", `${keyFile}.pub`])).stdout.split(" ")[1]!.replace(/^MD5:/, "");
    expect(imported.fingerprint).toBe(local);
    expect((await readFile(`${keyFile}.pub`, "utf8")).startsWith("ssh-ed25519 ")).toBe(true);
  });

  it("pause, suspend, lock, metadata, tags, rebuild, resize, events, console and delete", async () => {
    await os("server", "create", "--flavor", "m1.tiny", "--image", "nimbus-guest", "--network", "private", "--key-name", "cli-ed", "--property", "role=web", "cli1", "--wait");
    expect(await field("cli1", "key_name")).toBe("cli-ed");

    await os("server", "pause", "cli1");
    await waitStatus("cli1", "PAUSED");
    await os("server", "unpause", "cli1");
    await waitStatus("cli1", "ACTIVE");
    await os("server", "suspend", "cli1");
    await waitStatus("cli1", "SUSPENDED");
    await os("server", "resume", "cli1");
    await waitStatus("cli1", "ACTIVE");

    await os("server", "lock", "cli1");
    expect((await os26("server", "show", "cli1", "-f", "value", "-c", "locked")).trim()).toBe("True");
    // Nova refuses a non-admin's actions on a locked server until it is unlocked.
    await expect(os("server", "pause", "cli1")).rejects.toThrow(/locked/i);
    await os("server", "unlock", "cli1");

    await os("server", "set", "--property", "color=blue", "cli1");
    await os("server", "unset", "--property", "role", "cli1");
    expect((await json("server", "show", "cli1")).properties).toEqual({ color: "blue" });
    await os26("server", "set", "--tag", "prod", "cli1");
    expect(await os26("server", "show", "cli1", "-f", "value", "-c", "tags")).toContain("prod");

    await os("server", "rebuild", "--image", "nimbus-guest", "--wait", "cli1");
    expect(await field("cli1", "status")).toBe("ACTIVE");

    await os("server", "resize", "--flavor", "m1.small", "cli1");
    await waitStatus("cli1", "VERIFY_RESIZE");
    await os("server", "resize", "revert", "cli1");
    await waitStatus("cli1", "ACTIVE");
    expect(await field("cli1", "flavor")).toContain("m1.tiny");
    await os("server", "resize", "--flavor", "m1.small", "cli1");
    await waitStatus("cli1", "VERIFY_RESIZE");
    await os("server", "resize", "confirm", "cli1");
    await waitStatus("cli1", "ACTIVE");
    expect(await field("cli1", "flavor")).toContain("m1.small");

    const events = (await json("server", "event", "list", "cli1")).map((e: { Action: string }) => e.Action);
    for (const action of ["create", "pause", "unpause", "suspend", "resume", "lock", "unlock", "rebuild", "resize", "revertResize", "confirmResize"]) expect(events).toContain(action);
    await expect.poll(() => os("console", "log", "show", "--lines", "50", "cli1"), { timeout: 120_000, interval: 1000 }).toContain("nimbus-guest");

    await os("server", "delete", "--wait", "cli1");
    expect(await os("server", "list", "-f", "value", "-c", "Name")).not.toContain("cli1");
  }, 900_000);

  it("admin verbs: flavors with access and properties, groups, zones, hypervisors, services, quotas and limits", async () => {
    const demo = (await admin("project", "show", "demo", "-f", "value", "-c", "id")).trim();
    await admin("flavor", "create", "--ram", "256", "--disk", "1", "--vcpus", "1", "--private", "--property", "nimbus:purpose=cli", "cli.private");
    await admin("flavor", "set", "--project", demo, "cli.private");
    expect((await json("flavor", "show", "cli.private")).properties).toMatchObject({ "nimbus:purpose": "cli" });
    await expect(os("flavor", "create", "--ram", "256", "--disk", "1", "cli.member")).rejects.toThrow(/403|not authorized|Forbidden/i);

    const group = await json("server", "group", "create", "--policy", "anti-affinity", "cli-group");
    expect(group.policies ?? group.policy).toContain("anti-affinity");

    const [hv] = JSON.parse(await admin("hypervisor", "list", "-f", "json"));
    const hvShow = JSON.parse(await admin("hypervisor", "show", String(hv.ID), "-f", "json"));
    expect(hvShow.vcpus).toBeGreaterThan(0);
    expect(hvShow.memory_mb).toBeGreaterThan(0);

    await admin("aggregate", "create", "--zone", "cli-zone", "cli-agg");
    await admin("aggregate", "add", "host", "cli-agg", hv["Hypervisor Hostname"]);
    expect(await os("availability", "zone", "list", "-f", "value")).toContain("cli-zone");
    await admin("aggregate", "remove", "host", "cli-agg", hv["Hypervisor Hostname"]);
    await admin("aggregate", "delete", "cli-agg");

    const [svc] = JSON.parse(await admin("compute", "service", "list", "--service", "nova-compute", "-f", "json"));
    await admin("compute", "service", "set", "--disable", "--disable-reason", "maintenance", svc.Host, "nova-compute");
    // The CLI reports a failed build on stdout (and exits 0).
    expect(await os("server", "create", "--flavor", "m1.tiny", "--image", "nimbus-guest", "--network", "private", "nowhere", "--wait")).toContain("Error creating server");
    expect(await field("nowhere", "fault")).toMatch(/No valid host/i);
    expect(await field("nowhere", "status")).toBe("ERROR");
    await admin("compute", "service", "set", "--enable", svc.Host, "nova-compute");
    await os("server", "delete", "--wait", "nowhere");

    await admin("quota", "set", "--instances", "7", "--cores", "9", demo);
    const quota = JSON.parse(await admin("quota", "show", demo, "-f", "json"));
    const byResource = Array.isArray(quota) ? Object.fromEntries(quota.map((r: { Resource: string; Limit: number }) => [r.Resource, r.Limit])) : quota;
    expect(byResource).toMatchObject({ instances: 7, cores: 9 });
    const limits = JSON.parse(await os("limits", "show", "--absolute", "-f", "json"));
    expect(limits).toContainEqual({ Name: "maxTotalInstances", Value: 7 });
    await expect(os("quota", "set", "--instances", "99", demo)).rejects.toThrow(/403|not authorized|Forbidden/i);
  }, 300_000);
});
