#!/usr/bin/env bash
# Installs what Nimbus needs on a fresh Debian machine (as root): system packages, npm deps,
# a running libvirtd. Fast when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(libvirt-daemon-system libvirt-clients libvirt-dev qemu-system-x86 qemu-utils dnsmasq-base
  iproute2 nftables mosquitto python3-openstackclient busybox-static cpio syslinux syslinux-common mtools
  dosfstools fdisk xz-utils procps openssh-client tempest)
# Config drives (ISO 9660) are built with xorriso.
PACKAGES+=(xorriso)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "missing Debian packages (run as root to install): ${missing[*]}" >&2; exit 1; fi
  echo "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
# npm may skip the native addon's install script; make sure it is really built.
if [ ! -f node_modules/@unraid/libvirt/build/Release/libvirt.node ]; then
  npm rebuild @unraid/libvirt
fi

bash scripts/start-libvirtd.sh
