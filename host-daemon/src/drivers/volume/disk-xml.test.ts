import { describe, expect, it } from "vitest";
import { buildVolumeDiskXml, parseDomblklist, parseDomblklistSources } from "./disk-xml.js";

describe("volume disk XML", () => {
  it("is a virtio disk with the volume id as serial", () => {
    expect(buildVolumeDiskXml({ path: "/pool/volume-1.qcow2", format: "qcow2", device: "vdb", readonly: false, serial: "0123456789abcdef0123456789" })).toBe(
      `<disk type='file' device='disk'>
  <driver name='qemu' type='qcow2' cache='writeback'/>
  <source file='/pool/volume-1.qcow2'/>
  <target dev='vdb' bus='virtio'/>
  <serial>0123456789abcdef0123</serial>
</disk>
`);
  });

  it("marks read-only volumes and escapes paths", () => {
    const xml = buildVolumeDiskXml({ path: "/p/a'b", format: "raw", device: "vdc", readonly: true, serial: "v" });
    expect(xml).toContain("<readonly/>");
    expect(xml).toContain("file='/p/a&apos;b'");
  });

  it("reads targets from virsh domblklist with or without its header", () => {
    const out = " Target   Source\n------------------------------------------\n vda      /x/disk\n vdb      /pool/volume-1.qcow2\n";
    expect(parseDomblklist(out)).toEqual(["vda", "vdb"]);
    expect(parseDomblklist(" vda      /x/disk\n")).toEqual(["vda"]);
  });

  it("reads targets with their source files, skipping sourceless disks (an empty cdrom)", () => {
    const out = " Target   Source\n------------------------------------------\n vda      /x/disk\n hdc      -\n vdb      /pool/volume-1.qcow2\n";
    expect(parseDomblklistSources(out)).toEqual([{ device: "vda", path: "/x/disk" }, { device: "vdb", path: "/pool/volume-1.qcow2" }]);
  });
});
