import { el, renderXml } from "../compute/xml.js";
import type { DiskSpec } from "./types.js";

/** The libvirt <disk> of an attached volume: virtio, the volume id as serial, read-only when asked. */
export function buildVolumeDiskXml(d: DiskSpec): string {
  return `${renderXml(el("disk", { type: "file", device: "disk" }, [
    el("driver", { name: "qemu", type: d.format, cache: "writeback" }),
    el("source", { file: d.path }),
    el("target", { dev: d.device, bus: "virtio" }),
    el("serial", {}, d.serial.slice(0, 20)),
    ...(d.readonly ? [el("readonly")] : []),
  ]))}\n`;
}

/** Target devices listed by `virsh domblklist` (first column; the header, if any, skipped). */
export function parseDomblklist(out: string): string[] {
  return out.split("\n").map((l) => l.trim().split(/\s+/)[0] ?? "").filter((t) => t && t !== "Target" && !t.startsWith("---"));
}

/** Target and source of each disk in `virsh domblklist` output (disks without a source skipped). */
export function parseDomblklistSources(out: string): Array<{ device: string; path: string }> {
  return out.split("\n").map((l) => l.trim().split(/\s+/)).filter(([t, p]) => t && p && p !== "-" && t !== "Target" && !t.startsWith("---"))
    .map(([device, path]) => ({ device: device!, path: path! }));
}
