/** Glance disk_format → the qemu block driver name; anything else is refused. */
const FORMATS: Record<string, string> = {
  qcow2: "qcow2",
  raw: "raw",
  iso: "raw",
  vmdk: "vmdk",
  vdi: "vdi",
  vhd: "vpc",
  vhdx: "vhdx",
};

export function qemuFormat(glanceFormat: string): string {
  const fmt = FORMATS[glanceFormat];
  if (!fmt) throw new Error(`unsupported disk format: ${glanceFormat}`);
  return fmt;
}

export interface QemuImgInfo {
  format: string;
  virtualSize: number;
  backingFile: string | null;
}

/** Parses `qemu-img info --output=json`. */
export function parseQemuImgInfo(json: string): QemuImgInfo {
  const raw = JSON.parse(json) as Record<string, unknown>;
  if (typeof raw["virtual-size"] !== "number" || typeof raw.format !== "string") {
    throw new Error("unexpected qemu-img info output");
  }
  const backing = raw["backing-filename"];
  return { format: raw.format, virtualSize: raw["virtual-size"], backingFile: typeof backing === "string" ? backing : null };
}

/** The last `lines` lines of `text` (all when null); a trailing newline does not count as a line. */
export function tailLines(text: string, lines: number | null): string {
  if (lines === null) return text;
  if (lines <= 0) return "";
  const body = text.endsWith("\n") ? text.slice(0, -1) : text;
  const parts = body.split("\n");
  const tail = parts.slice(-lines).join("\n");
  return text.endsWith("\n") ? `${tail}\n` : tail;
}
