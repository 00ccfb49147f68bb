#!/bin/sh
# Fetches Debian's arm64 cloud kernel and a static arm64 busybox on any Debian host, without
# installing them and without touching the host's dpkg architectures (no dpkg --add-architecture):
# apt-get runs with a private state directory, a private sources list marked [arch=arm64] and
# APT::Architecture=arm64, downloads the real package behind linux-image-cloud-arm64 and
# busybox-static, and unpacks both (dpkg-deb -x) into DEST (default /opt/boxkit-kernel-arm64):
#   DEST/boot/vmlinuz-<version>   uncompressed arm64 Image (Debian ships it gzip-compressed;
#                                 it is gunzipped here, as vfkit needs it)
#   DEST/boot/config-<version>, DEST/lib/modules/<version>/...
#   DEST/bin/busybox              static aarch64 busybox, for guest root directories
# Prints the kernel path, for BOXKIT_VM_KERNEL_ARM64. Needs apt-get, dpkg-deb, gzip and network
# access to the Debian mirror (BOXKIT_DEBIAN_MIRROR, default http://deb.debian.org).
set -eu
dest="${1:-/opt/boxkit-kernel-arm64}"
mirror="${BOXKIT_DEBIAN_MIRROR:-http://deb.debian.org}"
codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/state/lists/partial" "$tmp/cache/archives/partial" "$tmp/parts" "$tmp/debs"
touch "$tmp/status"
signed=""
if [ -r "$keyring" ]; then signed=" signed-by=$keyring"; fi
cat > "$tmp/sources.list" <<EOF
deb [arch=arm64$signed] $mirror/debian $codename main
deb [arch=arm64$signed] $mirror/debian $codename-updates main
deb [arch=arm64$signed] $mirror/debian-security $codename-security main
EOF
# Everything apt reads or writes lives under $tmp; the host's dpkg status is not consulted.
# Sandbox::User=root: the private directories are not the _apt user's.
apt_private() {
  "$@" -q -o APT::Architecture=arm64 -o APT::Architectures=arm64 \
    -o Dir::Etc::SourceList="$tmp/sources.list" -o Dir::Etc::SourceParts="$tmp/parts" \
    -o Dir::State="$tmp/state" -o Dir::State::status="$tmp/status" -o Dir::Cache="$tmp/cache" \
    -o Debug::NoLocking=1 -o APT::Sandbox::User=root
}
apt_private apt-get update >&2
pkg="$(apt_private apt-cache depends linux-image-cloud-arm64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')"
if [ -z "$pkg" ]; then
  echo "no linux-image-cloud-arm64 package in $mirror/debian $codename" >&2
  exit 1
fi
(cd "$tmp/debs" && apt_private apt-get download "$pkg:arm64" "busybox-static:arm64" >&2)
mkdir -p "$dest"
for deb in "$tmp"/debs/*.deb; do dpkg-deb -x "$deb" "$dest"; done
kernel="$(ls "$dest"/boot/vmlinuz-* | tail -n 1)"
if [ "$(od -An -tx1 -N2 "$kernel" | tr -d ' ')" = 1f8b ]; then
  gzip -dc < "$kernel" > "$kernel.tmp"
  mv "$kernel.tmp" "$kernel"
fi
echo "$kernel"
