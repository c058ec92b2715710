#!/usr/bin/env bash
# CPU, wall time and peak RSS per enroll -> status -> introspect cycle of every client
# implementation (Rust core, Python, Kotlin/JVM SDK clients and hand-written HTTP clients),
# each in its own process against one release emulator (issue 14). See bench/README.md.
#
#   bench/clients/run.sh [--cycles N] [--warmup W] [--jvm-warmup W] [--smoke] [--only ID,...]
#
# Builds what it needs, idempotently, then runs bench/clients/driver.py in target/venv-bench:
#   - the release emulator and the Rust bench binary (cargo, --locked; --smoke: dev profile);
#   - the Python wheel: target/wheels/authcloud-*manylinux*.whl (./test.sh python) or
#     target/bench-clients/wheels/authcloud-*.whl, whichever is newer, if it is newer than
#     the sources; else `maturin build --release` into target/bench-clients/wheels;
#   - target/venv-bench: the wheel + pinned requests, httpx, matplotlib (and maturin);
#   - dev.authcloud:authcloud in the local Maven repository (`mvn install -DskipTests` in
#     bindings/kotlin when missing or older than the sources), and bench/clients/kotlin.
# Full run: results in bench/results/clients-{<UTC date>,latest}.json and clients.png.
# --smoke: 20 cycles, small warm-ups, results in target/bench-smoke/; fails if any client
# fails or prints a bad line, targets not enforced.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
# step, ensure_venv, workspace_version, MATURIN_VERSION.
. scripts/lib.sh

REQUESTS_VERSION=2.34.2
HTTPX_VERSION=0.28.1
MATPLOTLIB_VERSION=3.11.2
VENV=$ROOT/target/venv-bench
BENCH_WHEELS=$ROOT/target/bench-clients/wheels
# The project's one version: the Cargo workspace's.
VERSION=$(workspace_version)
INSTALLED_JAR=$HOME/.m2/repository/dev/authcloud/authcloud/$VERSION/authcloud-$VERSION.jar
MVN=(mvn -B -ntp -Dstyle.color=never)

for arg in "$@"; do
  case "$arg" in -h|--help) exec python3 bench/clients/driver.py --help ;; esac
done

step_clock=$SECONDS

# What the native library, the wheel and the jar are built from.
RUST_SOURCES=(Cargo.toml Cargo.lock uniffi.toml core/Cargo.toml core/src emulator/Cargo.toml emulator/src
              bindings/Cargo.toml bindings/src)
WHEEL_SOURCES=("${RUST_SOURCES[@]}" bindings/python/pyproject.toml bindings/python/authcloud)
JAR_SOURCES=("${RUST_SOURCES[@]}" bindings/uniffi-bindgen scripts/bindgen.sh bindings/kotlin/pom.xml
             bindings/kotlin/patch-bindings.sh bindings/kotlin/src/main bindings/kotlin/src/jvm)

# True when ARTIFACT exists and no file of the given sources is newer than it.
fresh() {
  local artifact=$1; shift
  [ -f "$artifact" ] && [ -z "$(find "$@" -type f -newer "$artifact" -print -quit 2>/dev/null)" ]
}

. "$ROOT/scripts/debian-packages.sh"
need_commands bench/clients "mvn javac" openjdk-17-jdk-headless maven

# A measurement needs release binaries; the smoke run only proves every client still runs,
# so it uses the dev profile the workspace tests built already (seconds instead of minutes).
smoke=0
for arg in "$@"; do [ "$arg" != --smoke ] || smoke=1; done
if [ "$smoke" = 1 ]; then
  step "dev-profile emulator and Rust bench binary (smoke: nothing is measured)"
  # (--bin from the workspace root, never -p: see scripts/bindgen.sh.)
  cargo build --locked -q --bin authcloud-emulator --bin bench-clients
  BIN_DIR=$ROOT/target/debug
else
  step "release emulator and the Rust bench binary (cargo build --release)"
  cargo build --locked --release --target "$HOST_TRIPLE" -q -p authcloud-emulator -p authcloud-bench-clients
  BIN_DIR=$RELEASE_DIR
fi

tools="requests $REQUESTS_VERSION httpx $HTTPX_VERSION matplotlib $MATPLOTLIB_VERSION maturin $MATURIN_VERSION"
ensure_venv --step "creating target/venv-bench ($tools)" "$VENV" .bench-tools "$tools" \
  "requests==$REQUESTS_VERSION" "httpx==$HTTPX_VERSION" "matplotlib==$MATPLOTLIB_VERSION" "maturin==$MATURIN_VERSION"

# The newest wheel already built (by ./test.sh or by an earlier run of this script).
wheel=$(ls -t target/wheels/authcloud-*manylinux*.whl "$BENCH_WHEELS"/authcloud-*.whl 2>/dev/null | head -n1 || true)
if [ -n "$wheel" ] && fresh "$wheel" "${WHEEL_SOURCES[@]}"; then
  step "Python wheel: reusing $(basename "$wheel") (newer than the sources)"
else
  step "Python wheel: maturin build --release into target/bench-clients/wheels"
  rm -rf "$BENCH_WHEELS"
  (cd bindings/python && CARGO_PROFILE_RELEASE_STRIP=none "$VENV/bin/maturin" build --release --locked -q \
    --target "$HOST_TRIPLE" -o "$BENCH_WHEELS")
  wheel=$(ls "$BENCH_WHEELS"/authcloud-*.whl)
fi
stamp="$wheel $(stat -c %Y "$wheel")"
if [ "$(cat "$VENV/.bench-wheel" 2>/dev/null)" != "$stamp" ]; then
  step "installing $(basename "$wheel") into target/venv-bench"
  "$VENV/bin/pip" install -q --force-reinstall --no-deps "$wheel"
  echo "$stamp" > "$VENV/.bench-wheel"
fi

if fresh "$INSTALLED_JAR" "${JAR_SOURCES[@]}"; then
  step "JVM: reusing dev.authcloud:authcloud:$VERSION from the local Maven repository (newer than the sources)"
else
  step "JVM: mvn install -DskipTests in bindings/kotlin (dev.authcloud:authcloud:$VERSION missing or stale)"
  "${MVN[@]}" -q -f bindings/kotlin/pom.xml install -DskipTests
fi
built=bench/clients/kotlin/target/.built
if ! fresh "$built" bench/clients/kotlin/pom.xml bench/clients/kotlin/src "$INSTALLED_JAR"; then
  step "JVM: bench/clients/kotlin (jar + class path of its dependencies)"
  "${MVN[@]}" -q -f bench/clients/kotlin/pom.xml package -Dauthcloud.version="$VERSION"
  touch "$built"
fi

step "running the clients (bench/clients/driver.py $*)"
# Recorded in the results: which wheel and which installed jar were measured.
AUTHCLOUD_BENCH_WHEEL="$ROOT/${wheel#"$ROOT"/}" AUTHCLOUD_BENCH_JAR="$INSTALLED_JAR" \
  AUTHCLOUD_BIN_DIR="$BIN_DIR" "$VENV/bin/python" bench/clients/driver.py "$@"
