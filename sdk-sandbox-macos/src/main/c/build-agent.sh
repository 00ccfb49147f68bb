#!/bin/sh
# Builds the static guest agent (PID 1 of BoxKit micro-VMs) into the jar's resources:
#   dev/boxkit/sandbox/vm/native/linux-<arch>/boxkit-vm-agent (+ .sha256)
# The guest runs the host's architecture. Without a C toolchain able to link statically
# (gcc + libc6-dev) the agent is skipped with a warning; the VM backend then reports itself
# unavailable.
set -eu
src="$1"
out_root="$2"
case "$(uname -m)" in
  x86_64|amd64) arch=x86_64 ;;
  aarch64|arm64) arch=aarch64 ;;
  *) echo "[boxkit] WARNING: unsupported arch $(uname -m): VM guest agent not built"; exit 0 ;;
esac
out="$out_root/dev/boxkit/sandbox/vm/native/linux-$arch"
cc="${CC:-gcc}"
probe_dir="$(mktemp -d)"
trap 'rm -rf "$probe_dir"' EXIT
printf 'int main(void){return 0;}\n' > "$probe_dir/p.c"
if [ "$(uname -s)" != Linux ] || ! command -v "$cc" >/dev/null 2>&1 \
    || ! "$cc" -static -o "$probe_dir/p" "$probe_dir/p.c" >/dev/null 2>&1; then
  echo "[boxkit] WARNING: '$cc' cannot link static Linux binaries (install gcc and libc6-dev):"
  echo "[boxkit] WARNING: the VM guest agent is not built; the VM backend will be unavailable"
  exit 0
fi
mkdir -p "$out"
"$cc" -static -O2 -Wall -Wextra -Werror -s -o "$out/boxkit-vm-agent.tmp" "$src"
mv "$out/boxkit-vm-agent.tmp" "$out/boxkit-vm-agent"
sha256sum "$out/boxkit-vm-agent" | cut -d' ' -f1 > "$out/boxkit-vm-agent.sha256"
