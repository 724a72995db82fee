import { describe, expect, it } from "vitest";
import type { Exec } from "../../exec.js";
import { VirshDiskAttacher } from "./virsh-attacher.js";

/** A virsh that answers domstate and domblklist from fixed text and records every call. */
function fakeVirsh(state: string, blklist = "") {
  const calls: string[][] = [];
  const exec: Exec = async (_cmd, args) => {
    calls.push(args);
    const sub = args[3];
    return { stdout: sub === "domstate" ? `${state}\n` : sub === "domblklist" ? blklist : "", stderr: "", code: 0 };
  };
  return { calls, attacher: new VirshDiskAttacher({ uri: "test:///x", exec }) };
}

describe("virsh disk attacher", () => {
  it("resizes a running domain's disk with blockresize, in GiB", async () => {
    const v = fakeVirsh("running");
    expect(await v.attacher.resize("dom", "vdb", 3)).toBe(true);
    expect(v.calls.at(-1)).toEqual(["-q", "-c", "test:///x", "blockresize", "dom", "vdb", "3G"]);
  });

  it("leaves a domain that is not running to a file resize", async () => {
    const v = fakeVirsh("shut off");
    expect(await v.attacher.resize("dom", "vdb", 3)).toBe(false);
    expect(v.calls.map((c) => c[3])).toEqual(["domstate"]);
  });

  it("lists the persistent config's disks with their files", async () => {
    const v = fakeVirsh("running", " vda   /inst/disk\n vdb   /pool/volume-1.qcow2\n");
    expect(await v.attacher.listDisks("dom")).toEqual([{ device: "vda", path: "/inst/disk" }, { device: "vdb", path: "/pool/volume-1.qcow2" }]);
    expect(v.calls.at(-1)).toEqual(["-q", "-c", "test:///x", "domblklist", "dom", "--inactive"]);
  });
});
