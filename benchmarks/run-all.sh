#!/usr/bin/env bash
# One benchmark command: builds what it needs, runs every harness side by side with its anchor
# (Jib core, tar|gzip, pigz, zstd, umoci, skopeo, bwrap, loopback, raw QEMU, mkfs.erofs), and prints one
# table: work, BoxKit, anchor, ratio (BoxKit / anchor; below 1 is BoxKit faster), with the
# machine in the header. Each harness's own detailed output is kept under the log directory.
#
# Usage: benchmarks/run-all.sh [quick|full]   (quick, the default: fewer rounds, ~11 min on 2 cores)
# Environment: TREE (a directory to build images and layers from; default a JDK without dangling
# links), BOXKIT_VM_KERNEL / BOXKIT_VM_KERNEL_ARM64 (micro-VM rows; skipped without them).
set -uo pipefail
cd "$(dirname "$0")/.."
mode="${1:-quick}"
case "$mode" in
  quick) layer="2"; image="2"; registry="300 3"; ports="256 1000 10"; pool="300 1"; vm="5"; vmdisk="2"; cli="5" ;;
  full)  layer="5"; image="5"; registry="300 5"; ports="1024 2000 40"; pool="1000 2"; vm="20"; vmdisk="5"; cli="20" ;;
  *) echo "usage: $0 [quick|full]" >&2; exit 2 ;;
esac
tree="${TREE:-}"
if [ -z "$tree" ]; then
  for d in /usr/lib/jvm/temurin-*-jdk-amd64 /usr/lib/jvm/*; do
    # Jib follows symbolic links, so a tree with a dangling one (Debian's JDK: lib/src.zip) fails there.
    if [ -d "$d/bin" ] && [ -z "$(find "$d" -xtype l -print -quit)" ]; then tree="$d"; break; fi
  done
fi
logs="benchmarks/target/run-all-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$logs"

# The harnesses and the CLI whose start-up the cli row times (samples/boxkit-cli/target/boxkit.jar).
echo "== building (./mvnw -B -q -pl benchmarks,samples/boxkit-cli -am package -DskipTests)"
./mvnw -B -q -pl benchmarks,samples/boxkit-cli -am package -DskipTests > "$logs/build.log" 2>&1 || { cat "$logs/build.log"; exit 1; }

run() { # run NAME PROFILE PROPERTY ARGS
  echo "== $1"
  ./mvnw -B -q -o -pl benchmarks -am package -DskipTests -P"$2" -D"$3=$4" > "$logs/$1.log" 2>&1 \
    || echo "   $1 failed: see $logs/$1.log"
}
run layer bench-layer layer.harness.args "$tree $layer"
run image bench-image image.harness.args "$tree $image"
if command -v skopeo >/dev/null && command -v docker-registry >/dev/null; then
  run registry bench-registry registry.harness.args "$registry"
else
  echo "== registry: skipped (needs skopeo and docker-registry)"
fi
run ports bench-ports ports.harness.args "$ports"
if command -v bwrap >/dev/null; then run pool bench-pool pool.harness.args "$pool"; else echo "== pool: skipped (needs bwrap)"; fi
if [ -n "${BOXKIT_VM_KERNEL:-}" ]; then run vm bench-vm vm.harness.args "$vm"; else echo "== vm: skipped (BOXKIT_VM_KERNEL unset)"; fi
if [ -n "${BOXKIT_VM_KERNEL:-}" ] && command -v mkfs.erofs >/dev/null; then
  run vm-disk bench-vm-disk vm.disk.harness.args "$tree $vmdisk"
else
  echo "== vm-disk: skipped (needs BOXKIT_VM_KERNEL and mkfs.erofs from erofs-utils)"
fi
if [ -x benchmarks/cli-startup.sh ] || [ -f benchmarks/cli-startup.sh ]; then
  echo "== cli"
  bash benchmarks/cli-startup.sh "$cli" > "$logs/cli.log" 2>&1 || echo "   cli failed: see $logs/cli.log"
fi

echo
echo "BoxKit benchmarks, $(date -u +%Y-%m-%dT%H:%MZ), mode $mode"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r),"\
  "load average $(cut -d' ' -f1-3 /proc/loadavg), $(java -version 2>&1 | head -1)"
echo "tree: $tree ($(du -sm "$tree" 2>/dev/null | cut -f1) MB); logs: $logs"
echo
printf '| %-58s | %10s | %-24s | %10s | %6s | %-5s |\n' "work" "BoxKit" "anchor" "anchor" "ratio" "unit"
printf '|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..60})" "$(printf -- '-%.0s' {1..12})" \
  "$(printf -- '-%.0s' {1..26})" "$(printf -- '-%.0s' {1..12})" "$(printf -- '-%.0s' {1..8})" "$(printf -- '-%.0s' {1..7})"
cat "$logs"/*.log | grep -a '^RESULT|' | while IFS='|' read -r _ work boxkit anchor_name anchor ratio unit; do
  printf '| %-58s | %10s | %-24s | %10s | %6s | %-5s |\n' "$work" "$boxkit" "$anchor_name" "$anchor" "$ratio" "$unit"
done
