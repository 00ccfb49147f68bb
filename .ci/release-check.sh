#!/usr/bin/env bash
# Release check: builds what Maven Central would get (the release profile: sources and javadoc
# jars, both architectures' native programs, GPG signatures) signed with a throwaway key, deploys
# it with maven-deploy-plugin into a file repository, target/release-staging, instead of Central,
# and checks every deployed artifact (.ci/ReleaseCheck.java says what).
#
#   .ci/release-check.sh [extra Maven arguments, e.g. -o]
#
# Run by .ci/run after the tests, on the classes they built (no clean). Nothing is installed into
# the local repository (-Dmaven.install.skip=true). Needs gpg (Debian: gnupg) and, for the
# aarch64 programs, gcc-aarch64-linux-gnu and libc6-dev-arm64-cross.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
staging="$PWD/target/release-staging"
rm -rf "$staging"
mkdir -p "$staging"

command -v gpg >/dev/null || { echo "release-check: gpg not found (Debian: apt-get install gnupg)" >&2; exit 1; }
GNUPGHOME="$(mktemp -d)"
export GNUPGHOME
trap 'gpgconf --kill all >/dev/null 2>&1 || true; rm -rf "$GNUPGHOME"' EXIT
# A throwaway signing key without a passphrase, valid for a day, never leaves this directory.
if ! gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
    --quick-gen-key 'BoxKit release check (throwaway) <release-check@boxkit.invalid>' ed25519 sign 1d \
    2>"$GNUPGHOME/keygen.log"; then
  cat "$GNUPGHOME/keygen.log" >&2
  exit 1
fi
key="$(gpg --batch --list-secret-keys --with-colons 2>>"$GNUPGHOME/keygen.log" | awk -F: '$1 == "fpr" { print $10; exit }')"
echo "release-check: throwaway key $key in $GNUPGHOME"

./mvnw -B -q "$@" -Prelease -Dmaven.test.skip=true -Dmaven.install.skip=true \
  -Dboxkit.release.deploy.skip=false -Dboxkit.central.phase=none \
  -DaltDeploymentRepository="local::file://$staging" -Dgpg.keyname="$key" \
  deploy
built=$(date +%s)

java .ci/ReleaseCheck.java "$staging" "$PWD"
echo "release-check: build and deploy $((built - started)) s, checks $(( $(date +%s) - built )) s"
