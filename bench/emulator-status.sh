#!/usr/bin/env bash
# Load test of the emulator's hot path, POST /api/v1/status, with wrk (a real load tool).
#
# Installs wrk from Debian's packages if it is missing, builds and starts the release
# emulator binary on an ephemeral loopback port, creates one enrollment, then runs wrk for
# ~10 s with 1,000 and with 50 concurrent connections. The raw wrk output (with date, nproc
# and the exact commands) goes to bench/results/emulator-status-wrk.txt.
#
# Usage: bash bench/emulator-status.sh [duration, default 10s]
set -euo pipefail

cd "$(dirname "$0")/.."
# HOST_TRIPLE and RELEASE_DIR: release builds share the wheel build's directory.
. scripts/lib.sh
DURATION="${1:-10s}"
RESULTS=bench/results/emulator-status-wrk.txt
mkdir -p bench/results

if ! command -v wrk >/dev/null 2>&1; then
    echo "installing wrk from Debian's packages" >&2
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk >/dev/null
fi

cargo build --release --target "$HOST_TRIPLE" -p authcloud-emulator >&2

# 1,000 client sockets in wrk (the emulator raises its own limit at start).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

WORK="$(mktemp -d)"
KEY="bench-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
AUTHCLOUD_ACCESS_KEY="$KEY" "$RELEASE_DIR"/authcloud-emulator --port 0 \
    >"$WORK/stdout" 2>"$WORK/stderr" &
EMULATOR_PID=$!
cleanup() {
    kill -TERM "$EMULATOR_PID" 2>/dev/null || true
    wait "$EMULATOR_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

for _ in $(seq 1 100); do
    if grep -q '^listening on ' "$WORK/stdout"; then break; fi
    sleep 0.1
done
BASE_URL="$(sed -n 's/^listening on //p' "$WORK/stdout")"
if [ -z "$BASE_URL" ]; then
    echo "the emulator did not start" >&2
    cat "$WORK/stderr" >&2
    exit 1
fi

STATUS_TOKEN="$(curl -fsS -X POST "$BASE_URL/api/v1/users/enroll" \
    -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    -d '{"username": "bench"}' | sed -n 's/.*"statusToken":"\([^"]*\)".*/\1/p')"
if [ -z "$STATUS_TOKEN" ]; then
    echo "enroll did not return a statusToken" >&2
    exit 1
fi

cat >"$WORK/status.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"statusToken": "$STATUS_TOKEN"}'
LUA

# Sanity check: the request the load uses answers "pending".
curl -fsS -X POST "$BASE_URL/api/v1/status" -H 'Content-Type: application/json' \
    -d "{\"statusToken\": \"$STATUS_TOKEN\"}" | grep -q '"status":"pending"'

{
    echo "# authcloud-emulator: POST /api/v1/status under wrk"
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "nproc: $(nproc)"
    echo "cpu: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
    echo "kernel: $(uname -srm)"
    echo "wrk: $(wrk -v 2>&1 | head -1)"
    echo "emulator: $RELEASE_DIR/authcloud-emulator --port 0 (access key from the environment)"
    echo "body: {\"statusToken\": \"<a pending enrollment's status token>\"}"
    for CONNECTIONS in 1000 50; do
        COMMAND="wrk -t2 -c$CONNECTIONS -d$DURATION --timeout 10s --latency -s status.lua $BASE_URL/api/v1/status"
        echo
        echo "## $CONNECTIONS connections"
        echo "\$ $COMMAND"
        (cd "$WORK" && $COMMAND) 2>&1
    done
} | tee "$RESULTS"

echo "raw results written to $RESULTS" >&2
