#!/usr/bin/env bash
# Build the "nimbus-cirros" guest disk image: a tiny bootable qcow2 made of
# Debian's cloud kernel, a busybox-static initramfs (scripts/guest/init) and
# SYSLINUX on a FAT partition. It boots under TCG in a few seconds, gets a
# DHCP lease on virtio-net and reports on the serial console (ttyS0) with
# "nimbus-guest: ..." lines, the way a user's cloud image would boot.
#
# Usage: scripts/build-guest-image.sh OUTPUT.qcow2
#
# Idempotent: exits at once if OUTPUT was built from the same recipe (a
# digest of this script and scripts/guest/, kept in OUTPUT.recipe). The
# kernel package is cached in ${NIMBUS_CACHE:-/var/cache/nimbus}/guest-build so a rebuild does not
# download it again. No loop devices or mounts are needed (mtools writes
# into the FAT partition at an offset), so it works in containers.
set -euo pipefail
# mkfs.vfat and sfdisk live in sbin, which a non-login PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SCRIPT_PATH="$SCRIPT_DIR/$(basename "${BASH_SOURCE[0]}")"
GUEST_DIR="$SCRIPT_DIR/guest"
CACHE_DIR="${NIMBUS_CACHE:-/var/cache/nimbus}/guest-build"

# Kernel modules loaded by /init, in insmod order (dependencies first).
MODULES=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev
	virtio_pci failover net_failover virtio_net virtio_blk button evdev
	scsi_common scsi_mod libata ata_piix cdrom sr_mod isofs)

# Raw disk layout: one FAT16 partition (type e) from sector 2048 to the end.
DISK_MIB=32
PART_START_SECTOR=2048
PART_OFFSET=$((PART_START_SECTOR * 512))

log() { echo "build-guest-image: $*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
	echo "usage: $0 OUTPUT.qcow2" >&2
	exit 2
}

# Digest of the recipe: this script and every file in scripts/guest/. It is
# stored beside the image (OUTPUT.recipe), so a changed recipe rebuilds the
# image wherever it is cached, whatever the files' modification times.
recipe_digest() {
	(cd "$SCRIPT_DIR" && find "$(basename "$SCRIPT_PATH")" guest -type f -print0 |
		LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -d' ' -f1
}

# True when OUTPUT exists and was built from this very recipe.
up_to_date() {
	local out="$1"
	[[ -f "$out" && -f "$out.recipe" ]] || return 1
	[[ "$(cat "$out.recipe")" == "$(recipe_digest)" ]]
}

# Install the Debian packages whose tools are missing; apt-get update only
# when something actually has to be installed, so the common case is fast.
ensure_tools() {
	local -a need=()
	local pair cmd pkg
	for pair in qemu-img:qemu-utils syslinux:syslinux mcopy:mtools \
		mkfs.vfat:dosfstools sfdisk:fdisk cpio:cpio xz:xz-utils \
		gzip:gzip dpkg-deb:dpkg; do
		cmd="${pair%%:*}" pkg="${pair#*:}"
		command -v "$cmd" >/dev/null 2>&1 || need+=("$pkg")
	done
	# Files rather than commands: the MBR code and a *static* busybox
	# (the dynamic "busybox" package would not run in the initramfs).
	[[ -f /usr/lib/syslinux/mbr/mbr.bin ]] || need+=(syslinux-common)
	dpkg-query -W -f='${Status}' busybox-static 2>/dev/null |
		grep -q 'ok installed' || need+=(busybox-static)
	((${#need[@]} == 0)) && return 0
	log "installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq "${need[@]}" >/dev/null
}

# Print the versioned kernel package behind linux-image-cloud-amd64,
# e.g. linux-image-6.1.0-56-cloud-amd64.
kernel_package() {
	local pkg
	pkg="$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')"
	if [[ -z "$pkg" ]]; then
		apt-get update -qq
		pkg="$(apt-cache depends linux-image-cloud-amd64 |
			awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')"
	fi
	[[ -n "$pkg" ]] || die "cannot resolve linux-image-cloud-amd64"
	echo "$pkg"
}

# Download (once) and unpack (once) the kernel package into the cache.
# Prints the unpacked tree's path.
fetch_kernel() {
	local pkg debs tree
	pkg="$(kernel_package)"
	mkdir -p "$CACHE_DIR"
	tree="$CACHE_DIR/$pkg"
	# Serialise concurrent builds sharing the cache (download + unpack).
	exec 9>"$CACHE_DIR/.lock"
	flock 9
	if [[ ! -f "$tree/.unpacked" ]]; then
		shopt -s nullglob
		debs=("$CACHE_DIR/${pkg}"_*.deb)
		shopt -u nullglob
		if ((${#debs[@]} == 0)); then
			log "downloading $pkg"
			# As root apt warns that it downloads "unsandboxed" (as root
			# rather than _apt) into a root-owned dir; that is harmless.
			(cd "$CACHE_DIR" && apt-get download -q "$pkg" 2>&1 |
				grep -v 'unsandboxed' >&2 || true)
			shopt -s nullglob
			debs=("$CACHE_DIR/${pkg}"_*.deb)
			shopt -u nullglob
			((${#debs[@]} > 0)) || die "apt-get download $pkg failed"
		fi
		rm -rf "$tree"
		dpkg -x "${debs[-1]}" "$tree"
		touch "$tree/.unpacked"
	fi
	exec 9>&-
	echo "$tree"
}

# Copy module NAME from the kernel tree to DEST/NAME.ko, decompressing
# .ko.xz/.ko.zst/.ko.gz, because busybox insmod loads plain ELF only.
copy_module() {
	local tree="$1" name="$2" dest="$3" src
	src="$(find "$tree/lib/modules" \( -name "$name.ko" -o -name "$name.ko.xz" \
		-o -name "$name.ko.zst" -o -name "$name.ko.gz" \) -print -quit)"
	[[ -n "$src" ]] || die "module $name not found in kernel package"
	case "$src" in
	*.xz) xz -dc "$src" >"$dest/$name.ko" ;;
	*.gz) gzip -dc "$src" >"$dest/$name.ko" ;;
	*.zst) zstd -dcq "$src" >"$dest/$name.ko" ;;
	*) cp "$src" "$dest/$name.ko" ;;
	esac
}

# Build the gzip'ed newc initramfs at $2 from the kernel tree $1.
build_initramfs() {
	local tree="$1" out="$2" root applet m
	root="$(mktemp -d "$WORK/root.XXXXXX")"
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,run,tmp,root} \
		"$root"/{etc/acpi/PWRF,lib/modules,var/log,var/run}
	chmod 1777 "$root/tmp"

	# busybox-static plus a symlink for every applet (sh, ip, udhcpc,
	# ping, nc, insmod, acpid, init, poweroff, ... ) at its usual path.
	cp /bin/busybox "$root/bin/busybox"
	while read -r applet; do
		[[ "$applet" == bin/busybox || -e "$root/$applet" ]] && continue
		ln -s /bin/busybox "$root/$applet"
	done < <(/bin/busybox --list-full)
	for applet in sh ip udhcpc insmod acpid init poweroff; do
		[[ -L "$root/bin/$applet" || -L "$root/sbin/$applet" ]] ||
			die "busybox has no $applet applet"
	done

	for m in "${MODULES[@]}"; do
		copy_module "$tree" "$m" "$root/lib/modules"
	done

	install -m 0755 "$GUEST_DIR/init" "$root/init"
	install -m 0755 "$GUEST_DIR/udhcpc.script" "$root/udhcpc.script"
	install -m 0755 "$GUEST_DIR/acpi-power" "$root/etc/acpi/PWRF/00000080"
	install -m 0644 "$GUEST_DIR/inittab" "$root/etc/inittab"
	install -m 0644 "$GUEST_DIR/profile" "$root/etc/profile"
	echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
	echo "root:x:0:" >"$root/etc/group"
	echo nimbus >"$root/etc/hostname"
	# The kernel's built-in initramfs already provides /dev/console; make
	# it here too when we can (root), for kernels without one.
	mknod -m 0600 "$root/dev/console" c 5 1 2>/dev/null || true

	(cd "$root" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc -R 0:0 --quiet) | gzip -9n >"$out"
}

# Assemble the raw disk: MBR + one bootable FAT partition with SYSLINUX.
build_disk() {
	local tree="$1" initrd="$2" raw="$3" vmlinuz
	vmlinuz="$(find "$tree/boot" -name 'vmlinuz-*' -print -quit)"
	[[ -n "$vmlinuz" ]] || die "no vmlinuz in kernel package"

	rm -f "$raw"
	truncate -s "${DISK_MIB}M" "$raw"
	echo "start=$PART_START_SECTOR, type=e, bootable" |
		sfdisk --quiet --label dos "$raw" >/dev/null
	dd if=/usr/lib/syslinux/mbr/mbr.bin of="$raw" bs=440 count=1 \
		conv=notrunc status=none

	# mkfs.vfat needs the filesystem size (in KiB) when working at an
	# offset inside an image file.
	local fs_kib=$(((DISK_MIB * 1024 * 1024 - PART_OFFSET) / 1024))
	mkfs.vfat -F 16 -n NIMBUS --offset "$PART_START_SECTOR" "$raw" "$fs_kib" >/dev/null

	# mtools addresses the partition through a drive letter with an offset.
	export MTOOLSRC="$WORK/mtoolsrc"
	echo "drive x: file=\"$raw\" offset=$PART_OFFSET" >"$MTOOLSRC"
	mcopy -o "$vmlinuz" x:/vmlinuz
	mcopy -o "$initrd" x:/initrd.gz
	mcopy -o "$GUEST_DIR/syslinux.cfg" x:/syslinux.cfg
	# Writes ldlinux.sys/ldlinux.c32 and the partition boot sector.
	syslinux --offset "$PART_OFFSET" --install "$raw"
}

main() {
	(($# == 1)) || usage
	local out="$1"
	[[ "$out" == /* ]] || out="$PWD/$out"

	if up_to_date "$out"; then
		log "$out is up to date"
		exit 0
	fi

	ensure_tools
	local tree
	tree="$(fetch_kernel)"

	# Never leave the work dir or a partial image behind.
	WORK="" TMP_OUT=""
	trap 'rm -rf "$WORK"; rm -f "$TMP_OUT"' EXIT
	WORK="$(mktemp -d "${TMPDIR:-/tmp}/nimbus-guest.XXXXXX")"
	mkdir -p "$(dirname "$out")"
	TMP_OUT="$(mktemp "$out.tmp.XXXXXX")"

	log "building initramfs"
	build_initramfs "$tree" "$WORK/initrd.gz"
	log "building disk"
	build_disk "$tree" "$WORK/initrd.gz" "$WORK/disk.raw"

	qemu-img convert -q -f raw -O qcow2 "$WORK/disk.raw" "$TMP_OUT"
	chmod 0644 "$TMP_OUT"
	# Atomic: readers see either the old image or the complete new one.
	mv -f "$TMP_OUT" "$out"
	recipe_digest >"$out.recipe"
	log "wrote $out ($(du -h "$out" | cut -f1), kernel ${tree##*/})"
}

main "$@"
