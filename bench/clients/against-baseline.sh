#!/usr/bin/env bash
# bench/clients with a rebuilt earlier version of the SDK beside the current one: the same
# run, the same emulator, the same machine. "No cost for it" checks (issue 18) compare the
# current blocking clients with the same clients built from REF.
#
#   bench/clients/against-baseline.sh REF [driver options...]     e.g. REF = 58440b9
#
# - REF is checked out in a worktree under target/baseline/REF (created once);
# - its Python wheel (maturin build --release) goes into target/baseline/REF-venv;
# - its jar (mvn package -DskipTests in its bindings/kotlin) replaces the current jar on the
#   Kotlin bench client's class path (the bench client's code is the current one; the
#   generated API it calls is the same in both);
# - then bench/clients/run.sh runs every client as usual, plus "python-client-rebuilt" and
#   "kotlin-client-rebuilt" right after their current counterparts, and reports the
#   current/rebuilt CPU ratio with a <= 1.10 target. Results: bench/results/clients-*.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
REF=${1:?usage: bench/clients/against-baseline.sh REF [driver options...]}
shift
# step, tool_venv, ensure_venv, workspace_version.
. scripts/lib.sh
VERSION=$(workspace_version)

commit=$(git rev-parse --verify "$REF^{commit}")
short=$(git rev-parse --short "$commit")
tree=$ROOT/target/baseline/$short
venv=$ROOT/target/baseline/$short-venv

if [ ! -d "$tree" ]; then
  step "worktree of $short in target/baseline"
  git worktree add --detach "$tree" "$commit"
fi

wheel=$(ls "$tree"/target/wheels/authcloud-*.whl 2>/dev/null | head -n1 || true)
if [ -z "$wheel" ]; then
  step "$short: Python wheel (maturin build --release)"
  tool_venv
  (cd "$tree/bindings/python" && PATH="$ROOT/.venv/bin:$PATH" CARGO_PROFILE_RELEASE_STRIP=none \
    "$ROOT/.venv/bin/maturin" build --release --locked -q -o "$tree/target/wheels")
  wheel=$(ls "$tree"/target/wheels/authcloud-*.whl | head -n1)
fi
# Rebuilt when the wheel is (its name and time are the stamp).
ensure_venv "$venv" .wheel "$wheel $(stat -c %Y "$wheel")" "$wheel"

jar=$tree/bindings/kotlin/target/authcloud-$VERSION.jar
if [ ! -f "$jar" ]; then
  step "$short: jar (mvn package -DskipTests)"
  mvn -B -ntp -q -Dstyle.color=never -f "$tree/bindings/kotlin/pom.xml" package -DskipTests
fi

step "bench/clients/run.sh with $short rebuilt beside the current sources"
AUTHCLOUD_BENCH_BASELINE_REF=$short AUTHCLOUD_BENCH_BASELINE_PYTHON=$venv/bin/python AUTHCLOUD_BENCH_BASELINE_JAR=$jar \
  bench/clients/run.sh "$@"
