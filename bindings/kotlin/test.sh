#!/usr/bin/env bash
# The Kotlin/JVM stage, self-contained and idempotent:
#   1. bindings/kotlin: `mvn install` = cargo build (profile ffi-small, emulator) +
#      uniffi-bindgen + patch-bindings.sh -> kotlinc -> JUnit 5 tests against the emulator
#      -> jar (with the stripped .so at linux-x86-64/) -> the local Maven repository as
#      dev.authcloud:authcloud:0.1.0;
#   2. examples/kotlin: a separate Maven project that depends on that artifact only: its
#      JUnit 5 test (AuthCloudEmulatorExtension), then the guide's flow in a fresh JVM (no
#      -Djna.library.path, no .so on disk);
#   3. examples/java: the same for Java 17 (javac -Xlint:all -Werror, a JUnit 5 test in
#      Java, Main in a fresh JVM).
# Needs Java 17+, Maven 3.6.3+ and the Rust toolchain; installs Java and Maven from Debian
# when they are missing (root only). Any failure stops it with a non-zero exit.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$ROOT/scripts/lib.sh"
# The project's one version: the Cargo workspace's (scripts/set-version.sh).
VERSION=$(workspace_version)
trap 'echo "bindings/kotlin/test.sh: FAILED (line $LINENO: $BASH_COMMAND)" >&2' ERR

. "$ROOT/scripts/debian-packages.sh"
need_commands bindings/kotlin "mvn javac" openjdk-17-jdk-headless maven
command -v cargo >/dev/null || { echo "bindings/kotlin needs cargo (the Rust toolchain)" >&2; exit 1; }

# -B: never interactive; -ntp: no download progress noise.
MVN=(mvn -B -ntp -Dstyle.color=never)

started=$SECONDS
step "bindings/kotlin: mvn clean install (cargo build + uniffi-bindgen + patch, kotlinc, JUnit 5 against the emulator, jar)"
# clean: classes of a type the bindings no longer generate (a renamed interface) would
# otherwise stay in target/classes, shadow a deprecated alias and ship in the jar.
"${MVN[@]}" -f "$HERE/pom.xml" clean install
jar_done=$SECONDS

jar="$HERE/target/authcloud-$VERSION.jar"
listing=$(jar tf "$jar")
for entry in linux-x86-64/libauthcloud_ffi.so dev/authcloud/Client.class dev/authcloud/AsyncClient.class \
             dev/authcloud/Emulator.class dev/authcloud/FlowsKt.class \
             dev/authcloud/testing/AuthCloudEmulatorExtension.class dev/authcloud/logging/Slf4jLogSink.class \
             dev/authcloud/ClientConfigs.class dev/authcloud/WaitOptionsBuilder.class; do
  grep -qx "$entry" <<<"$listing" || { echo "the jar lacks $entry" >&2; exit 1; }
done
if [ -f "$ROOT/target/linux-aarch64/jna/linux-aarch64/libauthcloud_ffi.so" ]; then
  grep -qx linux-aarch64/libauthcloud_ffi.so <<<"$listing" || { echo "the jar lacks the aarch64 library" >&2; exit 1; }
  echo "jar: with linux-aarch64/libauthcloud_ffi.so (built by scripts/linux-aarch64.sh)"
fi
library=$(jar tvf "$jar" | awk '$NF == "linux-x86-64/libauthcloud_ffi.so" { print $1 }')
printf 'jar: %s (%s bytes; native library %s bytes, profile ffi-small, stripped)\n' \
  "$(basename "$jar")" "$(stat -c %s "$jar")" "$library"

step "examples/kotlin: depends on dev.authcloud:authcloud:$VERSION only; JUnit 5 test with the extension, then the guide's flow"
# (Its Main also checks that JUnit and SLF4J, optional dependencies of authcloud, did not
# come along.)
"${MVN[@]}" -f "$ROOT/examples/kotlin/pom.xml" verify
kotlin_done=$SECONDS

step "examples/java: the same from Java 17 (javac -Xlint:all -Werror), JUnit 5 test in Java, then Main"
"${MVN[@]}" -f "$ROOT/examples/java/pom.xml" verify

step "kotlin: passed in $((SECONDS - started)) s (jar $((jar_done - started)) s, examples/kotlin $((kotlin_done - jar_done)) s, examples/java $((SECONDS - kotlin_done)) s)"
