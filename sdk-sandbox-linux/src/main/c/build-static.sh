#!/bin/sh
# Builds one static Linux program of BoxKit into a jar's resources, one per architecture:
#   RESOURCE_DIR/linux-x86_64/NAME   (+ NAME.sha256)
#   RESOURCE_DIR/linux-aarch64/NAME  (+ NAME.sha256)
# The one build script of both: sdk-sandbox-linux's sandbox helper (boxkit-init) and
# sdk-sandbox-macos's VM guest agent (boxkit-vm-agent, which runs in a guest of either
# architecture). Each picks its binary by architecture at run time and checks it against its
# own recorded SHA-256.
#
# Usage: build-static.sh NAME RESOURCE_DIR WHAT SOURCE.c OUTPUT_ROOT [MODE]
#   e.g. build-static.sh boxkit-init dev/boxkit/sandbox/linux/native "native sandbox helper" ...
# The host's architecture is built with $CC (default gcc), the other one with Debian's cross
# compiler (aarch64-linux-gnu-gcc from gcc-aarch64-linux-gnu + libc6-dev-arm64-cross, or
# x86_64-linux-gnu-gcc from gcc-x86-64-linux-gnu + libc6-dev-amd64-cross), or $CC_aarch64 /
# $CC_x86_64. The host's architecture is linked against musl instead of glibc when musl-gcc is
# installed (Debian: musl-tools; $MUSL_CC names another, MUSL_CC=none never uses it): a static
# glibc program spends ~0.4 ms before main in a VM (its CPU-feature probe runs dozens of CPUID
# instructions, each a trap to the hypervisor, 6 us apiece on the machine measured), a musl one
# 0.07 ms, and the sandbox helper is exec'd once per sandbox. Without musl, or if the source does
# not build with it, glibc it is, with a note in the build log.
# MODE is the Maven property boxkit.native:
#   host     (default) the host's architecture must build: without a gcc that links static
#            binaries the build FAILS, naming the packages, rather than make a jar that cannot
#            run; the other architecture is skipped with a warning when its cross compiler is
#            missing
#   all      both architectures must build, or the build fails (the release profile)
#   none-ok  like host, but a host without such a gcc (macOS, say) builds nothing, with a
#            warning; its jars cannot run what needs the program
set -eu
name="$1"
res="$2"
what="$3"
src="$4"
out_root="$5"
mode="${6:-host}"

case "$mode" in
  host|all|none-ok) ;;
  *) echo "[boxkit] ERROR: boxkit.native=$mode: expected host, all or none-ok" >&2; exit 1 ;;
esac
# The host's CPU is the architecture that must build; on a host other than Linux (macOS) it is
# built with the cross compiler too, since the host's own cc makes no Linux binaries.
case "$(uname -m)" in
  x86_64|amd64) host_arch=x86_64 ;;
  aarch64|arm64) host_arch=aarch64 ;;
  *) host_arch=; echo "[boxkit] WARNING: host CPU $(uname -m): BoxKit runs sandboxes on x86_64 and aarch64 only" ;;
esac
native_linux=no
if [ "$(uname -s)" = Linux ]; then native_linux=yes; fi
probe_dir="$(mktemp -d)"
trap 'rm -rf "$probe_dir"' EXIT
printf 'int main(void){return 0;}\n' > "$probe_dir/p.c"

# musl_build GLIBC_CC OUTPUT: builds $src with musl into OUTPUT; fails (quietly if musl is not
# installed, with a note if the source does not build) so that the caller builds with glibc.
musl="${MUSL_CC:-musl-gcc}"
musl_build() {
  [ "$musl" != none ] && command -v "$musl" >/dev/null 2>&1 || return 1
  # musl's headers leave out the kernel's (linux/, asm/, asm-generic/): take the glibc
  # toolchain's, the same linux-libc-dev headers a glibc build sees.
  multiarch="$("$1" -print-multiarch 2>/dev/null || true)"
  kinc="$probe_dir/kernel-headers"
  mkdir -p "$kinc"
  for d in linux asm-generic; do
    [ -d "/usr/include/$d" ] && ln -sfn "/usr/include/$d" "$kinc/$d"
  done
  if [ -n "$multiarch" ] && [ -d "/usr/include/$multiarch/asm" ]; then
    ln -sfn "/usr/include/$multiarch/asm" "$kinc/asm"
  fi
  "$musl" -static -o "$probe_dir/p-musl" "$probe_dir/p.c" >/dev/null 2>&1 || return 1
  if ! "$musl" -static -O2 -Wall -Wextra -Werror -s -idirafter "$kinc" -o "$2" "$src" 2> "$probe_dir/musl.log"; then
    echo "[boxkit] NOTE: $what does not build with $musl (glibc instead): $(head -c 300 "$probe_dir/musl.log")"
    rm -f "$2"
    return 1
  fi
}

failed=0
for arch in x86_64 aarch64; do
  case "$arch" in
    x86_64) cross=x86_64-linux-gnu-gcc; pkgs="gcc-x86-64-linux-gnu libc6-dev-amd64-cross"; override="${CC_x86_64:-}" ;;
    aarch64) cross=aarch64-linux-gnu-gcc; pkgs="gcc-aarch64-linux-gnu libc6-dev-arm64-cross"; override="${CC_aarch64:-}" ;;
  esac
  if [ "$arch" = "$host_arch" ] && [ "$native_linux" = yes ]; then
    cc="${CC:-gcc}"; pkgs="gcc libc6-dev"
  else
    cc="${override:-$cross}"
  fi
  required=no
  if [ "$mode" = all ] || { [ "$mode" = host ] && [ "$arch" = "$host_arch" ]; }; then
    required=yes
  fi
  out="$out_root/$res/linux-$arch"
  # A helper left from an earlier build is never shipped in place of one this build made.
  rm -rf "$out"
  if ! command -v "$cc" >/dev/null 2>&1 \
      || ! "$cc" -static -o "$probe_dir/p-$arch" "$probe_dir/p.c" >/dev/null 2>&1; then
    msg="'$cc' cannot link static linux-$arch binaries (Debian: apt-get install $pkgs)"
    if [ "$required" = yes ]; then
      echo "[boxkit] ERROR: $msg: the linux-$arch $what cannot be built (boxkit.native=$mode)." >&2
      if [ "$mode" = host ]; then
        echo "[boxkit] ERROR: Jars without it cannot run it; -Dboxkit.native=none-ok builds them anyway." >&2
      fi
      failed=1
    else
      echo "[boxkit] WARNING: $msg: the linux-$arch $what is not built; this jar cannot use it on $arch"
    fi
    continue
  fi
  mkdir -p "$out"
  built_with="$cc"
  if [ "$arch" = "$host_arch" ] && [ "$native_linux" = yes ] && musl_build "$cc" "$out/$name.tmp"; then
    built_with="$musl (musl)"
  else
    "$cc" -static -O2 -Wall -Wextra -Werror -s -o "$out/$name.tmp" "$src"
  fi
  mv "$out/$name.tmp" "$out/$name"
  sha256sum "$out/$name" | cut -d' ' -f1 > "$out/$name.sha256"
  echo "[boxkit] $what linux-$arch: $built_with, sha256 $(cat "$out/$name.sha256")"
done
exit "$failed"
