#!/bin/sh
# Builds the static native init helper into the jar's resources, per os/arch:
#   dev/boxkit/sandbox/linux/native/linux-<arch>/boxkit-init (+ .sha256)
# Without a C toolchain able to link statically (gcc + libc6-dev) the helper is skipped with a
# warning so the rest of the build still works; the sandbox then reports it as unavailable.
set -eu
src="$1"
out_root="$2"
case "$(uname -m)" in
  x86_64|amd64) arch=x86_64 ;;
  aarch64|arm64) arch=aarch64 ;;
  *) echo "[boxkit] WARNING: unsupported arch $(uname -m): native helper not built"; exit 0 ;;
esac
out="$out_root/dev/boxkit/sandbox/linux/native/linux-$arch"
cc="${CC:-gcc}"
probe_dir="$(mktemp -d)"
trap 'rm -rf "$probe_dir"' EXIT
printf 'int main(void){return 0;}\n' > "$probe_dir/p.c"
if ! command -v "$cc" >/dev/null 2>&1 || ! "$cc" -static -o "$probe_dir/p" "$probe_dir/p.c" >/dev/null 2>&1; then
  echo "[boxkit] WARNING: '$cc' cannot link static binaries (install gcc and libc6-dev):"
  echo "[boxkit] WARNING: the native sandbox helper is not built; Linux sandboxes will be unavailable"
  exit 0
fi
mkdir -p "$out"
"$cc" -static -O2 -Wall -Wextra -Werror -s -o "$out/boxkit-init.tmp" "$src"
mv "$out/boxkit-init.tmp" "$out/boxkit-init"
sha256sum "$out/boxkit-init" | cut -d' ' -f1 > "$out/boxkit-init.sha256"
