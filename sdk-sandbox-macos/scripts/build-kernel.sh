#!/bin/sh
# Builds BoxKit's own guest kernel from Debian's kernel source (package linux-source-6.1): only
# what the guest agent and the sandbox use, every driver built in, so the guest loads no modules
# and the kernel probes little (the config is sdk-sandbox-macos/kernel/boxkit-<arch>.config,
# applied with `make allnoconfig KCONFIG_ALLCONFIG=`). Firecracker and Apple's containerization
# boot kernels trimmed the same way.
#
# Usage: build-kernel.sh DEST [ARCH]
#   DEST  directory of the result (default /opt/boxkit-own-kernel): DEST/boot/vmlinuz-<release>
#         and DEST/boot/config-<release>, as the Debian kernel scripts lay it out
#   ARCH  x86_64 (a bzImage) or aarch64 (an Image, built with aarch64-linux-gnu-gcc); default the
#         host's
# Prints the kernel path, for BOXKIT_VM_KERNEL (or BOXKIT_VM_KERNEL_ARM64).
#
# Cached: DEST/boot/boxkit-kernel.key records the config's SHA-256, the source package's version
# and the compiler's; a second run with the same three prints the path without building. The
# build takes about 4 minutes on 2 cores. Nothing is left in DEST when it fails.
# Needs (Debian): apt-get, dpkg-deb, xz-utils, make, gcc, flex, bison, bc, libelf-dev, and for
# aarch64 gcc-aarch64-linux-gnu.
set -eu
dest="${1:-/opt/boxkit-own-kernel}"
case "${2:-$(uname -m)}" in
  x86_64|amd64) arch=x86_64; karch=x86; image=arch/x86/boot/bzImage; target=bzImage; cross= ;;
  aarch64|arm64) arch=aarch64; karch=arm64; image=arch/arm64/boot/Image; target=Image
    cross=aarch64-linux-gnu-
    [ "$(uname -m)" = aarch64 ] && cross= ;;
  *) echo "build-kernel.sh: architecture ${2:-$(uname -m)}: expected x86_64 or aarch64" >&2; exit 1 ;;
esac
config="$(cd "$(dirname "$0")/../kernel" && pwd)/boxkit-$arch.config"
[ -f "$config" ] || { echo "build-kernel.sh: no $config" >&2; exit 1; }
for tool in apt-get apt-cache dpkg-deb xz make flex bison bc "${cross}gcc"; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "build-kernel.sh: $tool not found (Debian: apt-get install xz-utils make gcc flex bison bc libelf-dev${cross:+ gcc-aarch64-linux-gnu})" >&2
    exit 1
  }
done

source_version="$(apt-cache policy linux-source-6.1 | awk '/Candidate:/ {print $2}')"
if [ -z "$source_version" ] || [ "$source_version" = "(none)" ]; then
  echo "build-kernel.sh: no linux-source-6.1 package: run apt-get update first (Debian 12)" >&2
  exit 1
fi
key="config $(sha256sum "$config" | cut -d' ' -f1) source linux-source-6.1 $source_version compiler $("${cross}gcc" -dumpfullversion)"
if [ -f "$dest/boot/boxkit-kernel.key" ] && [ "$(cat "$dest/boot/boxkit-kernel.key")" = "$key" ]; then
  ls "$dest"/boot/vmlinuz-* | tail -n 1
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
chmod 1777 "$tmp"  # apt-get download runs as _apt where it can
(cd "$tmp" && apt-get download -q "linux-source-6.1=$source_version" >&2)
deb="$(ls "$tmp"/linux-source-6.1_*.deb)"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" ./usr/src/linux-source-6.1.tar.xz
tar -xJf "$tmp/usr/src/linux-source-6.1.tar.xz" -C "$tmp"
src="$tmp/linux-source-6.1"
# Fixed build stamps: the same config, source and compiler give the same kernel bytes.
export KBUILD_BUILD_TIMESTAMP='1970-01-01 00:00:00 UTC' KBUILD_BUILD_USER=boxkit KBUILD_BUILD_HOST=boxkit
kmake() { make -C "$src" ARCH="$karch" ${cross:+CROSS_COMPILE=$cross} "$@"; }
if ! kmake -s allnoconfig KCONFIG_ALLCONFIG="$config" > "$tmp/build.log" 2>&1; then
  tail -n 30 "$tmp/build.log" >&2
  echo "build-kernel.sh: configuring the kernel failed (last lines above)" >&2
  exit 1
fi
# allnoconfig drops a symbol whose dependencies are off without a word: every line must hold.
missing=""
for line in $(grep -E '^CONFIG_[A-Z0-9_]+=' "$config"); do
  grep -qxF "$line" "$src/.config" || missing="$missing $line"
done
if [ -n "$missing" ]; then
  echo "build-kernel.sh: the kernel config lacks:$missing (a dependency missing from $config)" >&2
  exit 1
fi
if ! kmake -j"$(nproc)" "$target" >> "$tmp/build.log" 2>&1; then
  tail -n 30 "$tmp/build.log" >&2
  echo "build-kernel.sh: the build failed (last lines above)" >&2
  exit 1
fi
release="$(kmake -s kernelrelease)"
mkdir -p "$tmp/out/boot"
cp "$src/$image" "$tmp/out/boot/vmlinuz-$release"
cp "$src/.config" "$tmp/out/boot/config-$release"
printf '%s\n' "$key" > "$tmp/out/boot/boxkit-kernel.key"
mkdir -p "$dest"
rm -rf "$dest/boot.new"
mv "$tmp/out/boot" "$dest/boot.new"
rm -rf "$dest/boot"
mv "$dest/boot.new" "$dest/boot"
echo "$dest/boot/vmlinuz-$release"
