#!/usr/bin/env bash
# Linux aarch64 (ARM servers): cross-builds the native library, runs the Rust tests of
# the core and the FFI crate, the wheel's Python suite and the jar's JUnit suite under
# qemu-aarch64, against the emulator — with Debian 13's own Rust toolchain (rustc 1.85, the
# std for arm64 from multiarch), cross gcc and qemu-user, in the Debian 13 chroot the Swift
# stage uses (bindings/swift/chroot.sh). No rustup target, no network beyond Debian's
# mirror, crates.io and Maven Central.
#
#   scripts/linux-aarch64.sh build   target/linux-aarch64/jna/linux-aarch64/libauthcloud_ffi.so
#   scripts/linux-aarch64.sh test    cargo test --release -p authcloud -p authcloud-ffi under qemu
#   scripts/linux-aarch64.sh wheel   target/wheels-aarch64/*.whl from the x86-64 wheel's Python
#                                    files and the aarch64 library
#   scripts/linux-aarch64.sh python  the wheel's Python test suite, run by an arm64 Python
#   scripts/linux-aarch64.sh jvm     the jar (with its linux-aarch64 library) and its JUnit suite,
#                                    run by an arm64 JVM
#   scripts/linux-aarch64.sh broken  the negative control: the same runners given a library
#                                    with one symbol missing must fail
#
# The arm64 Python and JVM are Debian 13's own packages, extracted (no maintainer scripts,
# so no binfmt_misc is needed) with mmdebstrap into target/linux-aarch64/roots/, once, and
# run by qemu-aarch64 inside the chroot. Tests that start a child process start
# `sys.executable` or `$java.home/bin/java`: both are small shell scripts that hand the
# arm64 program to qemu, so the children run on ARM too.
#
# What had to give for rustc 1.85 (the project's own code needs 1.85, edition 2024):
# - `time` ≥ 0.3.46 needs rustc 1.88: the build pins time 0.3.41 and simple_asn1 0.6.3
#   (the emulator's JWT crate pulls them; the emulator only signs HS256 tokens, it never
#   parses the ASN.1 those crates exist for). The x86-64 artifacts keep the newer versions.
# - uniffi's bindgen (askama ≥ 0.16, cargo_metadata 0.23) needs 1.86–1.88: it is not built
#   here; the bindings are generated on the host from the x86-64 library (same metadata).
# Both are done in a copy of the sources under target/linux-aarch64/src, never in the repo.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
chroot_sh="$repo/bindings/swift/chroot.sh"
CHROOT=${AUTHCLOUD_SWIFT_CHROOT:-/var/tmp/authcloud-swift-trixie}
work="$repo/target/linux-aarch64"
TARGET=aarch64-unknown-linux-gnu
PACKAGES="rustc cargo libstd-rust-dev:arm64 gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user mmdebstrap"
ROOTS="$work/roots"
# The Debian 13 arm64 packages extracted into the two roots (roots/python, roots/jvm).
PYTHON_PACKAGES="python3,libpython3.13-stdlib"
JVM_PACKAGES="openjdk-21-jre-headless"
JAVA_HOME_IN_ROOT=usr/lib/jvm/java-21-openjdk-arm64
# Under emulation the suites run several times slower than on x86-64; a hang still ends.
SUITE_DEADLINE=1800
# Copies the test class path into the repo for the chroot (pinned: Maven 3.8 would pick 2.8).
DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.11.0

. "$repo/scripts/lib.sh"
step_prefix="linux-aarch64: "

# Inside the chroot the repo is /work; cargo there needs this machine's CA bundle (a TLS
# inspecting proxy may sit between it and crates.io).
ENV="export CARGO_HTTP_CAINFO=/etc/ssl/certs/host-ca-certificates.crt \
CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc \
CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER='qemu-aarch64 -L /usr/aarch64-linux-gnu' \
CARGO_TERM_COLOR=never"

toolchain() {
  "$chroot_sh" ensure
  cp /etc/ssl/certs/ca-certificates.crt "$CHROOT/etc/ssl/certs/host-ca-certificates.crt"
  if [ ! -f "$CHROOT/.authcloud-aarch64-ready" ] || ! "$chroot_sh" run "command -v mmdebstrap" >/dev/null; then
    step "installing $PACKAGES in the chroot"
    "$chroot_sh" run "dpkg --add-architecture arm64 && apt-get update -qq && \
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null && apt-get clean"
    touch "$CHROOT/.authcloud-aarch64-ready"
  fi
}

# A copy of the tracked sources (as in the working tree), with the pins rustc 1.85 needs.
sources() {
  step "copying the sources and pinning dependencies rustc 1.85 can build"
  rm -rf "$work/src"
  mkdir -p "$work/src"
  (cd "$repo" && git ls-files -z | xargs -0 cp --parents -t "$work/src" 2>/dev/null || true)
  # The sdist-only dev-dependency on the bindings generator needs rustc 1.88.
  sed -i '/^uniffi-bindgen = { path = "uniffi-bindgen" }$/d' "$work/src/bindings/Cargo.toml"
  "$chroot_sh" run "$ENV && cd /work/target/linux-aarch64/src && cargo update -q -p simple_asn1 --precise 0.6.3 \
    && cargo update -q -p time --precise 0.3.41"
}

build() {
  toolchain
  sources
  step "cargo build --release --target $TARGET -p authcloud-ffi --features emulator"
  "$chroot_sh" run "$ENV && cd /work/target/linux-aarch64/src && cargo build --locked --release --target $TARGET \
    --target-dir /work/target/linux-aarch64/build -p authcloud-ffi --features emulator"
  local lib="$work/build/$TARGET/release/libauthcloud_ffi.so"
  mkdir -p "$work/jna/linux-aarch64"
  "$chroot_sh" run "aarch64-linux-gnu-strip -o /work/target/linux-aarch64/jna/linux-aarch64/libauthcloud_ffi.so \
    /work/target/linux-aarch64/build/$TARGET/release/libauthcloud_ffi.so"
  file "$work/jna/linux-aarch64/libauthcloud_ffi.so" | grep -q "ARM aarch64" \
    || { echo "linux-aarch64: the library is not an aarch64 ELF" >&2; exit 1; }
  printf 'linux-aarch64 library: %s bytes (stripped; unstripped %s)\n' \
    "$(stat -c %s "$work/jna/linux-aarch64/libauthcloud_ffi.so")" "$(stat -c %s "$lib")"
}

run_tests() {
  [ -d "$work/src" ] || { toolchain; sources; }
  step "cargo test --release -p authcloud -p authcloud-ffi under qemu-aarch64"
  "$chroot_sh" run "$ENV && cd /work/target/linux-aarch64/src && cargo test --locked --release --target $TARGET \
    --target-dir /work/target/linux-aarch64/build -p authcloud -p authcloud-ffi"
}

# The x86-64 wheel's Python files with the aarch64 library, tagged by what auditwheel finds.
wheel() {
  local x86 lib tag
  x86=$(ls "$repo"/target/wheels/authcloud-*manylinux*.whl 2>/dev/null | head -1)
  [ -n "$x86" ] || { echo "no x86-64 wheel in target/wheels: ./test.sh python first" >&2; exit 1; }
  lib="$work/jna/linux-aarch64/libauthcloud_ffi.so"
  [ -f "$lib" ] || build
  step "aarch64 wheel from $(basename "$x86")"
  rm -rf "$repo/target/wheels-aarch64" && mkdir -p "$repo/target/wheels-aarch64/unpacked"
  "$repo/.venv/bin/python" -m wheel unpack -d "$repo/target/wheels-aarch64/unpacked" "$x86" >/dev/null
  local dir
  dir=$(ls -d "$repo"/target/wheels-aarch64/unpacked/*)
  cp "$lib" "$dir/authcloud/_native/libauthcloud_ffi.so"
  rm -f "$dir"/*.dist-info/sboms/*
  sed -i 's/^Tag: .*/Tag: py3-none-linux_aarch64/' "$dir"/*.dist-info/WHEEL
  "$repo/.venv/bin/python" -m wheel pack -d "$repo/target/wheels-aarch64" "$dir" >/dev/null
  rm -rf "$repo/target/wheels-aarch64/unpacked"
  # auditwheel names the manylinux tag the library's glibc symbols allow; apply it.
  (cd "$repo/target/wheels-aarch64" && "$repo/.venv/bin/auditwheel" show ./*.whl | tee auditwheel.txt)
  tag=$(grep -o '"manylinux_[0-9_]*_aarch64"' "$repo/target/wheels-aarch64/auditwheel.txt" | head -1 | tr -d '"')
  [ -n "$tag" ] || { echo "auditwheel found no manylinux tag" >&2; exit 1; }
  (cd "$repo/target/wheels-aarch64" && "$repo/.venv/bin/python" -m wheel tags --remove --platform-tag "$tag" ./*.whl >/dev/null)
  ls -l "$repo/target/wheels-aarch64"/*.whl
}


# root NAME PACKAGES: an arm64 Debian 13 root with PACKAGES, extracted once into
# target/linux-aarch64/roots/NAME (made in NAME.partial, moved when complete).
root() {
  local name=$1 packages=$2
  [ -f "$ROOTS/$name/.complete" ] && return 0
  toolchain
  step "extracting arm64 $packages into target/linux-aarch64/roots/$name (mmdebstrap --variant=extract)"
  mkdir -p "$ROOTS"
  rm -rf "$ROOTS/$name" "$ROOTS/$name.partial"
  # (mmdebstrap probes for a mount namespace first and says so on stderr; extract needs none.)
  "$chroot_sh" run "mmdebstrap --quiet --variant=extract --architectures=arm64 --include=$packages trixie \
    /work/target/linux-aarch64/roots/$name.partial 2>/work/target/linux-aarch64/roots/$name.log" \
    || { cat "$ROOTS/$name.log" >&2; exit 1; }
  # Absolute links (the JVM's conf/ -> /etc/java-21-openjdk) would be resolved by the host's
  # kernel outside the root, where qemu's -L does not reach: make them relative.
  python3 - "$ROOTS/$name.partial" <<'PY'
import os, sys
root = sys.argv[1]
for folder, dirs, files in os.walk(root):
    for name in dirs + files:
        link = os.path.join(folder, name)
        if os.path.islink(link) and os.readlink(link).startswith("/"):
            target = root + os.readlink(link)
            os.unlink(link)
            os.symlink(os.path.relpath(target, folder), link)
PY
  touch "$ROOTS/$name.partial/.complete"
  mv "$ROOTS/$name.partial" "$ROOTS/$name"
}

# Paths as the chroot sees them (the repo is /work there).
in_chroot() { echo "/work${1#"$repo"}"; }

# An arm64 virtual environment: bin/python3 runs the root's python3.13 under qemu with
# argv[0] set to itself, so Python reads pyvenv.cfg next to it (sys.prefix is the venv, the
# standard library comes from the root through qemu's -L) and `sys.executable` is this
# script, which a test can start again. Its site-packages get pytest and the wheel from the
# host's pip: pure-Python wheels and the aarch64 wheel, nothing to compile.
arm64_venv() {
  local venv=$1 wheel=$2 root
  root=$(in_chroot "$ROOTS/python")
  rm -rf "$venv" && mkdir -p "$venv/bin"
  printf 'home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.13\n' >"$venv/pyvenv.cfg"
  printf '#!/bin/sh\nexec qemu-aarch64 -L %s -0 "$0" %s/usr/bin/python3.13 "$@"\n' "$root" "$root" >"$venv/bin/python3"
  chmod +x "$venv/bin/python3"
  ln -s python3 "$venv/bin/python"
  "$repo/.venv/bin/python" -m pip install -q --disable-pip-version-check --no-compile \
    --target "$venv/lib/python3.13/site-packages" --only-binary=:all: --implementation cp \
    --python-version 3.13 --platform manylinux_2_17_aarch64 --platform manylinux_2_34_aarch64 \
    "pytest==$PYTEST_VERSION" "$wheel"
}

python_suite() {
  local wheel venv
  wheel=$(ls "$repo"/target/wheels-aarch64/authcloud-*aarch64.whl 2>/dev/null | head -1)
  [ -n "$wheel" ] || { echo "no aarch64 wheel: scripts/linux-aarch64.sh wheel first" >&2; exit 1; }
  root python "$PYTHON_PACKAGES"
  step "an arm64 venv with pytest $PYTEST_VERSION and $(basename "$wheel")"
  venv="$work/venv"
  arm64_venv "$venv" "$wheel"
  local py
  py=$(in_chroot "$venv")/bin/python3
  step "pytest bindings/python/tests with the aarch64 wheel, on an arm64 Python under qemu-aarch64"
  "$chroot_sh" run "cd /work && $py -c 'import platform, sys, authcloud._native as n, pathlib; \
lib = next(pathlib.Path(n.__file__).parent.glob(\"libauthcloud_ffi.so\")); \
assert platform.machine() == \"aarch64\", platform.machine(); \
assert lib.read_bytes()[18:20] == b\"\\xb7\\x00\", \"not an aarch64 library\"; \
print(\"python\", sys.version.split()[0], platform.machine(), \"library\", lib)' && \
    AUTHCLOUD_UNDER_EMULATION=qemu-aarch64 timeout $SUITE_DEADLINE $py -m pytest -q -p no:cacheprovider bindings/python/tests"
  step "the wheel's pytest plugin on ARM (a test file with only its fixtures)"
  "$chroot_sh" run "cd /work/target && timeout 600 $py -m pytest -q -p no:cacheprovider /work/examples/python/test_with_plugin.py"
}

# wrap_arm64 FILE: FILE becomes a shell script that runs the arm64 program (kept as
# FILE.arm64) under qemu, so a process the JVM starts by path runs on ARM too.
wrap_arm64() {
  local file=$1 root
  root=$(in_chroot "$ROOTS/jvm")
  [ -f "$file.arm64" ] || mv "$file" "$file.arm64"
  printf '#!/bin/sh\nexec qemu-aarch64 -L %s "$0.arm64" "$@"\n' "$root" >"$file"
  chmod +x "$file"
}

jvm_suite() {
  local lib="$work/jna/linux-aarch64/libauthcloud_ffi.so" kotlin="$repo/bindings/kotlin" junit="$work/junit"
  [ -f "$lib" ] || build
  root jvm "$JVM_PACKAGES"
  local java_home="$ROOTS/jvm/$JAVA_HOME_IN_ROOT"
  # The launcher, and the helper the JVM starts child processes with.
  wrap_arm64 "$java_home/bin/java"
  wrap_arm64 "$java_home/lib/jspawnhelper"
  step "the jar with its linux-aarch64 library (mvn clean package; its tests run next, on ARM)"
  local MVN=(mvn -B -ntp -q -Dstyle.color=never -f "$kotlin/pom.xml")
  "${MVN[@]}" -DskipTests clean package
  local jar
  jar=$(ls "$kotlin"/target/authcloud-*.jar)
  unzip -p "$jar" linux-aarch64/libauthcloud_ffi.so | cmp - "$lib" \
    || { echo "the jar's linux-aarch64 library is not the one just built" >&2; exit 1; }
  rm -rf "$junit" && mkdir -p "$junit/lib"
  # The test classpath as jars inside the repo (the chroot sees only the repo), and JUnit's
  # console launcher at the version the pom pins.
  "${MVN[@]}" "$DEPENDENCY_PLUGIN:copy-dependencies" -DincludeScope=test -DoutputDirectory="$junit/lib"
  local platform
  platform=$(sed -n 's:.*<junit.platform.version>\(.*\)</junit.platform.version>.*:\1:p' "$kotlin/pom.xml")
  "${MVN[@]}" "$DEPENDENCY_PLUGIN:copy" -Dartifact="org.junit.platform:junit-platform-console-standalone:$platform" \
    -DoutputDirectory="$junit"
  step "the JUnit suite (bindings/kotlin) with the jar, on an arm64 JVM under qemu-aarch64"
  jvm_run "$jar" --scan-class-path "$(in_chroot "$kotlin/target/test-classes")"
}

# jvm_run JAR SELECTION...: JUnit's console launcher on the arm64 JVM, with JAR, the test
# classes and the test dependencies (as jvm_suite left them) on the JVM's own class path,
# as surefire has them (a test starts a child JVM with `java.class.path`), from the
# project's folder (tests read fixtures by relative path).
jvm_run() {
  local jar=$1 kotlin="$repo/bindings/kotlin" junit="$work/junit" java classpath
  shift
  java="$(in_chroot "$ROOTS/jvm/$JAVA_HOME_IN_ROOT")/bin/java"
  classpath="$(in_chroot "$jar"):$(in_chroot "$kotlin/target/test-classes")"
  for dependency in "$junit"/lib/*.jar "$junit"/junit-platform-console-standalone-*.jar; do
    classpath="$classpath:$(in_chroot "$dependency")"
  done
  "$chroot_sh" run "cd $(in_chroot "$kotlin") && $java -version 2>&1 | head -1 && \
    timeout $SUITE_DEADLINE $java -Djava.awt.headless=true -Dauthcloud.underEmulation=qemu-aarch64 \
      -cp '$classpath' org.junit.platform.console.ConsoleLauncher execute --disable-banner --details=summary \
      --fail-if-no-tests $*"
}

# The negative control: the runners above must fail when the aarch64 library is broken.
# A copy of it loses one exported function (its name in the dynamic string table is
# changed in place, so the dynamic linker no longer finds it: "undefined symbol"); the
# wheel's venv and the jar, each with that copy, must then fail their first flow test.
MISSING_SYMBOL=uniffi_authcloud_ffi_fn_method_client_enroll
broken() {
  local lib="$work/jna/linux-aarch64/libauthcloud_ffi.so" dir="$work/broken"
  [ -d "$work/venv" ] && [ -d "$work/junit" ] || { echo "run scripts/linux-aarch64.sh python and jvm first" >&2; exit 1; }
  rm -rf "$dir" && mkdir -p "$dir"
  python3 - "$lib" "$dir/libauthcloud_ffi.so" "$MISSING_SYMBOL" <<'PY'
import sys
source, target, name = sys.argv[1], sys.argv[2], sys.argv[3].encode()
data = open(source, "rb").read()
needle = b"\0" + name + b"\0"
assert data.count(needle) == 1, f"{name!r} is not in the library exactly once"
open(target, "wb").write(data.replace(needle, b"\0" + name[:-1] + b"#\0"))
PY
  step "negative control: the arm64 Python with a library missing $MISSING_SYMBOL must fail"
  cp -a "$work/venv" "$dir/venv"
  cp "$dir/libauthcloud_ffi.so" "$dir/venv/lib/python3.13/site-packages/authcloud/_native/libauthcloud_ffi.so"
  if "$chroot_sh" run "cd /work && timeout 600 $(in_chroot "$dir/venv")/bin/python3 -m pytest -x -q -p no:cacheprovider \
      bindings/python/tests/test_flow.py" >"$dir/python.log" 2>&1; then
    cat "$dir/python.log"; echo "the Python suite passed with a broken library" >&2; exit 1
  fi
  grep -m1 "undefined symbol: $MISSING_SYMBOL" "$dir/python.log" || { cat "$dir/python.log"; echo "it failed, but not for the missing symbol" >&2; exit 1; }
  echo "failed, as it must"
  step "negative control: the arm64 JVM with a jar whose library misses $MISSING_SYMBOL must fail"
  local jar
  jar=$(ls "$repo"/bindings/kotlin/target/authcloud-*.jar)
  cp "$jar" "$dir/authcloud.jar"
  mkdir -p "$dir/jar/linux-aarch64" && cp "$dir/libauthcloud_ffi.so" "$dir/jar/linux-aarch64/"
  (cd "$dir/jar" && zip -q "$dir/authcloud.jar" linux-aarch64/libauthcloud_ffi.so)
  if jvm_run "$dir/authcloud.jar" --select-class dev.authcloud.FlowTest >"$dir/jvm.log" 2>&1; then
    cat "$dir/jvm.log"; echo "the JUnit suite passed with a broken library" >&2; exit 1
  fi
  grep -m1 "undefined symbol: $MISSING_SYMBOL" "$dir/jvm.log" || { cat "$dir/jvm.log"; echo "it failed, but not for the missing symbol" >&2; exit 1; }
  echo "failed, as it must"
}

case "${1:-}" in
  build) build ;;
  test) run_tests ;;
  wheel) wheel ;;
  python) python_suite ;;
  jvm) jvm_suite ;;
  broken) broken ;;
  *) echo "usage: $0 build | test | wheel | python | jvm | broken" >&2; exit 2 ;;
esac
