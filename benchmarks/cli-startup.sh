#!/usr/bin/env bash
# The boxkit command line against the tools it stands beside, with hyperfine:
#   boxkit run -- /bin/true        vs  bwrap --ro-bind / / /bin/true
#   boxkit inspect oci:DIR:TAG     vs  skopeo inspect oci:DIR:TAG
#   boxkit copy (300 MB, 3 layers, OCI layout -> local registry)  vs  skopeo copy
# and prints a table with the ratios (boxkit / reference). Goals: run <= 0.30 s,
# inspect <= 0.40 s, copy no slower than skopeo.
#
# Usage: benchmarks/cli-startup.sh [runs]     (runs per command, default 10; copy: runs/2, >= 3)
# Needs: the CLI built (./mvnw -B -pl samples/boxkit-cli -am package -DskipTests, which also
# makes its class-data archive), and the Debian packages hyperfine, bubblewrap, skopeo and
# docker-registry. BOXKIT_BENCH_DIR (default /tmp/boxkit-cli-bench) keeps the images between
# runs; BOXKIT_BENCH_PORT (default 5151) is the registry's port on 127.0.0.1.
set -euo pipefail
runs=${1:-10}
copy_runs=$(( runs / 2 < 3 ? 3 : runs / 2 ))
root=$(cd "$(dirname "$0")/.." && pwd -P)
boxkit="$root/samples/boxkit-cli/boxkit"
work=${BOXKIT_BENCH_DIR:-/tmp/boxkit-cli-bench}
port=${BOXKIT_BENCH_PORT:-5151}

for tool in hyperfine:hyperfine bwrap:bubblewrap skopeo:skopeo docker-registry:docker-registry python3:python3; do
  if ! command -v "${tool%%:*}" >/dev/null; then
    echo "cli-startup: ${tool%%:*} not found: install the Debian package ${tool#*:}" >&2
    exit 1
  fi
done
if [ ! -r "$root/samples/boxkit-cli/target/boxkit.jar" ]; then
  echo "cli-startup: build the CLI first: ./mvnw -B -pl samples/boxkit-cli -am package -DskipTests" >&2
  exit 1
fi
mkdir -p "$work"

# Images: a small one for inspect, 300 MB in 3 layers of incompressible data for copy.
if [ ! -d "$work/layout" ]; then
  mkdir -p "$work/src/small"
  echo hello > "$work/src/small/hello.txt"
  "$boxkit" build --layer="$work/src/small:/data" --output="oci:$work/layout:small" >/dev/null
  for i in 1 2 3; do
    mkdir -p "$work/src/big$i"
    head -c 100M /dev/urandom > "$work/src/big$i/data.bin"
  done
  "$boxkit" build --layer="$work/src/big1:/one" --layer="$work/src/big2:/two" \
    --layer="$work/src/big3:/three" --output="oci:$work/layout:big" >/dev/null
fi

# A local registry without a blob-descriptor cache, so emptying its storage between copies
# makes every copy upload every blob.
cat > "$work/registry.yml" <<YAML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $work/registry
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
YAML
rm -rf "$work/registry"
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
trap 'kill "$registry_pid" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  if python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/v2/')" 2>/dev/null; then
    break
  fi
  sleep 0.1
done

hf() {
  local name=$1 n=$2 warmup=$3; shift 3
  hyperfine -N --style basic --warmup "$warmup" --runs "$n" --export-json "$work/$name.json" "$@" >&2
}
hf run "$runs" 2 "$boxkit run -- /bin/true" "bwrap --ro-bind / / /bin/true"
hf inspect "$runs" 2 "$boxkit inspect oci:$work/layout:small" "skopeo inspect oci:$work/layout:small"
empty="rm -rf $work/registry/docker"
hyperfine --style basic --warmup 1 --runs "$copy_runs" --export-json "$work/copy.json" --prepare "$empty" \
  "$boxkit copy --tls-verify=false oci:$work/layout:big docker://127.0.0.1:$port/bench/big:1" \
  "skopeo copy -q --dest-tls-verify=false oci:$work/layout:big docker://127.0.0.1:$port/bench/big:1" >&2

python3 - "$work" "$(nproc)" "$(java -version 2>&1 | head -1)" <<'PY'
import json, sys
work, cores, jdk = sys.argv[1:4]
rows = [("run", "boxkit run -- /bin/true", "bwrap --ro-bind / / /bin/true", 0.30),
        ("inspect", "boxkit inspect oci:DIR:small", "skopeo inspect oci:DIR:small", 0.40),
        ("copy", "boxkit copy, 300 MB, 3 layers -> local registry", "skopeo copy", None)]
print(f"\n{cores} cores, {jdk}; median of each (mean ± sd in the JSON under {work})\n")
print("| command | boxkit | reference | reference time | ratio | goal |")
print("|---|---|---|---|---|---|")
for name, ours, ref, goal in rows:
    r = json.load(open(f"{work}/{name}.json"))["results"]
    b, o = r[0]["median"], r[1]["median"]
    g = f"<= {goal:.2f} s: {'met' if b <= goal else 'MISSED'}" if goal else \
        f"<= skopeo: {'met' if b <= o else 'MISSED'}"
    print(f"| {ours} | {b:.3f} s | {ref} | {o:.3f} s | {b / o:.2f}x | {g} |")
# The rows benchmarks/run-all.sh gathers (ResultRow's format).
for name, ours, ref, goal in rows:
    r = json.load(open(f"{work}/{name}.json"))["results"]
    b, o = r[0]["median"], r[1]["median"]
    print(f"RESULT|CLI {ours}|{b:.3f}|{ref}|{o:.3f}|{b / o:.2f}|s")
PY
