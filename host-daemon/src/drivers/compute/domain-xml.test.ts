import { describe, expect, it } from "vitest";
import { buildDomainXml } from "./domain-xml.js";
import type { DomainSpec } from "./types.js";

const spec: DomainSpec = {
  name: "nimbus-s1",
  uuid: "11111111-2222-3333-4444-555555555555",
  vcpus: 2,
  memoryMb: 512,
  diskPath: "/var/lib/nimbus/instances/s1/disk",
  diskFormat: "qcow2",
  nics: [{ mac: "fa:16:3e:00:00:01", bridge: "nbr-abc", tap: "tapabc", mtu: 1450 }],
  consoleLogPath: "/var/lib/nimbus/instances/s1/console.log",
  serverId: "s1",
};

const QEMU_GOLDEN = `<domain type='qemu'>
  <name>nimbus-s1</name>
  <uuid>11111111-2222-3333-4444-555555555555</uuid>
  <metadata>
    <nimbus:instance xmlns:nimbus='urn:nimbus:libvirt:instance:1'>
      <nimbus:serverId>s1</nimbus:serverId>
    </nimbus:instance>
  </metadata>
  <memory unit='MiB'>512</memory>
  <vcpu placement='static'>2</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <boot dev='hd'/>
  </os>
  <features>
    <acpi/>
    <apic/>
  </features>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' cache='writeback'/>
      <source file='/var/lib/nimbus/instances/s1/disk'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='bridge'>
      <mac address='fa:16:3e:00:00:01'/>
      <source bridge='nbr-abc'/>
      <target dev='tapabc'/>
      <model type='virtio'/>
      <mtu size='1450'/>
    </interface>
    <serial type='file'>
      <source path='/var/lib/nimbus/instances/s1/console.log' append='on'/>
      <target port='0'/>
    </serial>
    <console type='file'>
      <source path='/var/lib/nimbus/instances/s1/console.log' append='on'/>
      <target type='serial' port='0'/>
    </console>
    <memballoon model='virtio'/>
  </devices>
</domain>
`;

describe("buildDomainXml", () => {
  it("renders a qemu (TCG) domain", () => {
    expect(buildDomainXml(spec, { domainType: "qemu", emulator: "/usr/bin/qemu-system-x86_64" })).toBe(QEMU_GOLDEN);
  });

  it("asks for the host CPU model only under kvm", () => {
    const xml = buildDomainXml(spec, { domainType: "kvm" });
    expect(xml).toContain("<domain type='kvm'>");
    expect(xml).toContain("  <cpu mode='host-model'/>\n  <clock offset='utc'/>");
    expect(xml).not.toContain("<emulator>");
    expect(buildDomainXml(spec, { domainType: "qemu" })).not.toContain("<cpu");
  });

  it("renders what libvirt's test driver accepts", () => {
    const xml = buildDomainXml({ ...spec, nics: [], diskFormat: "raw" }, { domainType: "test", emulator: "/x" });
    expect(xml).toContain("<domain type='test'>");
    expect(xml).toContain("<type arch='x86_64'>hvm</type>");
    expect(xml).toContain("<driver name='qemu' type='raw' cache='writeback'/>");
    expect(xml).not.toMatch(/emulator|memballoon|interface/);
  });

  it("attaches a config drive as a read-only IDE cdrom after the root disk", () => {
    const xml = buildDomainXml({ ...spec, configDrivePath: "/var/lib/nimbus/instances/s1/disk.config" }, { domainType: "qemu" });
    expect(xml).toContain(`    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='/var/lib/nimbus/instances/s1/disk.config'/>
      <target dev='hdd' bus='ide'/>
      <readonly/>
    </disk>
    <interface type='bridge'>`);
    expect(buildDomainXml(spec, { domainType: "qemu" })).not.toContain("cdrom");
  });

  it("adds extra disks as vdb, vdc… after the root disk (a rescued server's own disk)", () => {
    const xml = buildDomainXml({ ...spec, diskPath: "/r/disk.rescue", extraDisks: [{ path: "/r/disk", format: "qcow2" }] }, { domainType: "qemu" });
    expect(xml).toContain(`      <source file='/r/disk.rescue'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' cache='writeback'/>
      <source file='/r/disk'/>
      <target dev='vdb' bus='virtio'/>
    </disk>`);
  });

  it("escapes every value", () => {
    const nasty = { ...spec, name: "a<b>&'c\"", serverId: "</nimbus:serverId>", diskPath: "/x/'y'" };
    const xml = buildDomainXml(nasty, { domainType: "qemu" });
    expect(xml).toContain("<name>a&lt;b&gt;&amp;&apos;c&quot;</name>");
    expect(xml).toContain("<nimbus:serverId>&lt;/nimbus:serverId&gt;</nimbus:serverId>");
    expect(xml).toContain("<source file='/x/&apos;y&apos;'/>");
  });
});
