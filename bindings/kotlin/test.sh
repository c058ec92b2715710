#!/usr/bin/env bash
# The Kotlin/JVM stage, self-contained and idempotent:
#   1. bindings/kotlin: `mvn install` = cargo build (release, emulator) + uniffi-bindgen ->
#      kotlinc -> JUnit 5 tests against the emulator -> jar (with the stripped .so at
#      linux-x86-64/) -> the local Maven repository as dev.authcloud:authcloud:0.1.0;
#   2. examples/kotlin: a separate Maven project that depends on that artifact only,
#      compiled and run in a fresh JVM (no -Djna.library.path, no .so on disk).
# Needs Java 17+, Maven 3.6.3+ and the Rust toolchain; installs Java and Maven from Debian
# when they are missing (root only). Any failure stops it with a non-zero exit.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
VERSION=0.1.0

step() { printf '\n==> %s\n' "$*"; }
trap 'echo "bindings/kotlin/test.sh: FAILED (line $LINENO: $BASH_COMMAND)" >&2' ERR

if ! command -v mvn >/dev/null || ! command -v javac >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    step "installing Java 17 and Maven (Debian packages)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-17-jdk-headless maven >/dev/null
  else
    echo "bindings/kotlin needs Java 17+ (javac) and Maven 3.6.3+ on PATH" >&2
    exit 1
  fi
fi
command -v cargo >/dev/null || { echo "bindings/kotlin needs cargo (the Rust toolchain)" >&2; exit 1; }

# -B: never interactive; -ntp: no download progress noise.
MVN=(mvn -B -ntp -Dstyle.color=never)

step "bindings/kotlin: mvn install (cargo build + uniffi-bindgen, kotlinc, JUnit 5 against the emulator, jar)"
"${MVN[@]}" -f "$HERE/pom.xml" install

jar="$HERE/target/authcloud-$VERSION.jar"
listing=$(jar tf "$jar")
for entry in linux-x86-64/libauthcloud_ffi.so dev/authcloud/Client.class dev/authcloud/AsyncClient.class \
             dev/authcloud/Emulator.class dev/authcloud/FlowsKt.class; do
  grep -qx "$entry" <<<"$listing" || { echo "the jar lacks $entry" >&2; exit 1; }
done
printf 'jar: %s (%s bytes)\n' "$(basename "$jar")" "$(stat -c %s "$jar")"

step "examples/kotlin: depends on dev.authcloud:authcloud:$VERSION only; runs the guide's flow"
"${MVN[@]}" -f "$ROOT/examples/kotlin/pom.xml" verify

step "kotlin: passed"
