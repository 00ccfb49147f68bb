#!/bin/sh
# Fetches the current Debian cloud kernel for this machine's architecture without installing it:
# the real package behind the linux-image-cloud-<arch> metapackage is downloaded with apt-get and
# unpacked (dpkg-deb -x) into DEST (default /opt/boxkit-kernel), giving
#   DEST/boot/vmlinuz-<version>, DEST/boot/config-<version>, DEST/lib/modules/<version>/...
# Prints the kernel path, for BOXKIT_VM_KERNEL. Needs apt-get, apt-cache and dpkg-deb (Debian).
set -eu
dest="${1:-/opt/boxkit-kernel}"
arch="$(dpkg --print-architecture)"
pkg="$(apt-cache depends "linux-image-cloud-$arch" | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')"
if [ -z "$pkg" ]; then
  echo "no linux-image-cloud-$arch package: run apt-get update first" >&2
  exit 1
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
chmod 1777 "$tmp"  # apt-get download runs as _apt where it can
(cd "$tmp" && apt-get download -q "$pkg" >&2)
mkdir -p "$dest"
dpkg-deb -x "$tmp"/*.deb "$dest"
ls "$dest"/boot/vmlinuz-* | tail -n 1
