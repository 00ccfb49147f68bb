#!/usr/bin/env bash
# Makes target/boxkit.jsa, the class-data sharing (CDS) archive the `boxkit` launcher uses: the
# classes that representative commands load (build, inspect, copy, run, and a push to a local
# registry where docker-registry is installed), parsed and verified once
# here instead of at every start. Run by Maven at package time, after the shaded jar exists.
#
# Usage: make-archive.sh JAVA JAR ARCHIVE WORKDIR
#   JAVA     the java that will run the archive (an archive only serves the JVM build that made it;
#            its real path is written to ARCHIVE.jvm so the launcher can check)
#   JAR      the shaded jar, by the absolute path the launcher gives to -jar
#   ARCHIVE  the archive to write
#   WORKDIR  scratch space for the training commands (emptied first)
# A training command that fails (e.g. `run` where user namespaces are off) still lists the classes
# it loaded; only a failing dump fails the build.
set -euo pipefail
java=$1 jar=$2 archive=$3 work=$4

rm -rf "$work" "$archive" "$archive.jvm"
mkdir -p "$work/in"
echo "boxkit" > "$work/in/hello.txt"

train() {
  local name=$1; shift
  "$java" -Xshare:auto -XX:TieredStopAtLevel=1 -XX:DumpLoadedClassList="$work/$name.classes" \
    -jar "$jar" "$@" >"$work/$name.out" 2>&1 || echo "[boxkit] CDS training '$name' exited $? (its classes still count)"
}
train build build --layer="$work/in:/data" --executables=/bin/true --entrypoint=/bin/true \
  --output="oci:$work/layout:train"
train inspect inspect "oci:$work/layout:train"
train copy copy "oci:$work/layout:train" "oci:$work/copy:train"
train run run -- /bin/true

# A push to a local registry (plain HTTP), for the HTTP client's classes, where the Debian
# package docker-registry is installed; without it the archive simply lacks them.
if command -v docker-registry >/dev/null; then
  port=$(( 20000 + RANDOM % 20000 ))
  printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
    "$work/registry" "$port" > "$work/registry.yml"
  docker-registry serve "$work/registry.yml" > "$work/registry.out" 2>&1 &
  registry=$!
  for _ in $(seq 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      train push copy --tls-verify=false "oci:$work/layout:train" "docker://127.0.0.1:$port/train/app:1"
      break
    fi
    sleep 0.1
  done
  kill "$registry" 2>/dev/null || true
  wait "$registry" 2>/dev/null || true
fi

# One list, first occurrence kept (the dump refuses nothing twice, but order is load order).
cat "$work"/*.classes | awk '!seen[$0]++' > "$work/boxkit.classlist"
"$java" -Xshare:dump -XX:SharedClassListFile="$work/boxkit.classlist" -XX:SharedArchiveFile="$archive" \
  -cp "$jar" > "$work/dump.out" 2>&1 || { cat "$work/dump.out"; exit 1; }
readlink -f "$java" > "$archive.jvm"
echo "[boxkit] CDS archive $(basename "$archive"): $(wc -l < "$work/boxkit.classlist") classes, $(( $(stat -c %s "$archive") / 1048576 )) MiB"
