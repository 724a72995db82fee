import type { DomainSpec, NicSpec } from "./types.js";
import { el, renderXml, type XmlElement } from "./xml.js";

/** XML namespace of the metadata Nimbus stores in each domain. */
export const NIMBUS_XMLNS = "urn:nimbus:libvirt:instance:1";

export type DomainType = "kvm" | "qemu" | "test";

export interface DomainXmlOptions {
  domainType: DomainType;
  /** qemu binary; libvirt picks the default for the arch when omitted. */
  emulator?: string;
}

const disk = (path: string, format: string, dev = "vda") =>
  el("disk", { type: "file", device: "disk" }, [
    // cache='none' needs O_DIRECT, which tmpfs and some overlay filesystems refuse.
    el("driver", { name: "qemu", type: format, cache: "writeback" }),
    el("source", { file: path }),
    el("target", { dev, bus: "virtio" }),
  ]);

const configDrive = (path: string) =>
  el("disk", { type: "file", device: "cdrom" }, [
    el("driver", { name: "qemu", type: "raw" }),
    el("source", { file: path }),
    el("target", { dev: "hdd", bus: "ide" }),
    el("readonly"),
  ]);

const nic = (n: NicSpec) =>
  el("interface", { type: "bridge" }, [
    el("mac", { address: n.mac }),
    el("source", { bridge: n.bridge }),
    el("target", { dev: n.tap }),
    el("model", { type: "virtio" }),
    el("mtu", { size: n.mtu }),
  ]);

/** Guest ttyS0 is written to the log file; the console element aliases that serial port. */
const consoleDevices = (path: string): XmlElement[] => [
  el("serial", { type: "file" }, [el("source", { path, append: "on" }), el("target", { port: 0 })]),
  el("console", { type: "file" }, [el("source", { path, append: "on" }), el("target", { type: "serial", port: 0 })]),
];

/** Builds the libvirt domain XML for a server; every value is escaped by the serialiser. */
export function buildDomainXml(spec: DomainSpec, opts: DomainXmlOptions): string {
  const real = opts.domainType !== "test";
  const devices: XmlElement[] = [
    ...(real && opts.emulator ? [el("emulator", {}, opts.emulator)] : []),
    disk(spec.diskPath, spec.diskFormat),
    ...(spec.extraDisks ?? []).map((d, i) => disk(d.path, d.format, `vd${String.fromCharCode(98 + i)}`)),
    ...(spec.configDrivePath ? [configDrive(spec.configDrivePath)] : []),
    ...spec.nics.map(nic),
    ...consoleDevices(spec.consoleLogPath),
    ...(real ? [el("memballoon", { model: "virtio" })] : []),
  ];
  const root = el("domain", { type: opts.domainType }, [
    el("name", {}, spec.name),
    el("uuid", {}, spec.uuid),
    el("metadata", {}, [
      el("nimbus:instance", { "xmlns:nimbus": NIMBUS_XMLNS }, [el("nimbus:serverId", {}, spec.serverId)]),
    ]),
    el("memory", { unit: "MiB" }, String(spec.memoryMb)),
    el("vcpu", { placement: "static" }, String(spec.vcpus)),
    el("os", {}, [
      // The test driver knows no machine types.
      el("type", { arch: "x86_64", machine: real ? "pc" : undefined }, "hvm"),
      el("boot", { dev: "hd" }),
    ]),
    // ACPI lets a graceful shutdown reach the guest.
    el("features", {}, [el("acpi"), el("apic")]),
    // TCG cannot emulate the host CPU; its default model (qemu64) is what we want there.
    ...(opts.domainType === "kvm" ? [el("cpu", { mode: "host-model" })] : []),
    el("clock", { offset: "utc" }),
    el("on_poweroff", {}, "destroy"),
    el("on_reboot", {}, "restart"),
    el("on_crash", {}, "destroy"),
    el("devices", {}, devices),
  ]);
  return `${renderXml(root)}\n`;
}
