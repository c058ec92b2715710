#!/usr/bin/env bash
# The emulator's memory over a long test suite: 100,000 enrollments, each approved at once,
# against the release emulator binary in its own process, measured twice:
#   - ttl-1h: a transaction TTL longer than the run, so nothing is evicted yet (what every
#     run looked like before the emulator forgot settled transactions);
#   - ttl-1s: a short TTL, so each settled transaction is forgotten 1 s + 5 s (the least
#     retention) after it started, while the run goes on.
# The driver (bench/emulator-memory, release) samples the emulator's VmRSS every 100 ms and
# reads its VmHWM (peak RSS) at the end. Users are not evicted (the vendor keeps them): the
# run spreads its enrollments over 10,000 usernames, 10 each (the authenticator limit).
#
# Not a default ./test.sh stage (about a minute per mode on 2 cores).
# Usage: bench/emulator-memory.sh [--enrollments N] [--users U] [--concurrency C] [--out FILE]
#   default out: bench/results/emulator-memory-$(date -u +%F).txt (never overwritten).
set -euo pipefail
cd "$(dirname "$0")/.."
# HOST_TRIPLE and RELEASE_DIR: release builds share the wheel build's directory.
. scripts/lib.sh
ROOT=$(pwd)
. scripts/emulator-process.sh

driver_args=()
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --enrollments|--users|--concurrency) driver_args+=("$1" "$2"); shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || out="bench/results/emulator-memory-$(date -u +%F).txt"
if [ -e "$out" ]; then
  echo "$out exists; results are never overwritten (pass --out)" >&2
  exit 2
fi
mkdir -p "$(dirname "$out")"

cargo build --locked --release --target "$HOST_TRIPLE" -q -p authcloud-emulator -p authcloud-bench-emulator-memory
emulator="$RELEASE_DIR"/authcloud-emulator
driver="$RELEASE_DIR"/bench-emulator-memory
work=$(mktemp -d)
trap 'stop_emulator; rm -rf "$work"' EXIT
key="bench-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"

{
  echo "# bench/emulator-memory.sh ${driver_args[*]:-} — $(date -u +%FT%TZ)"
  echo "# $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with local changes)')"
  echo "# one JSON document per mode; sizes in KiB"
} > "$work/result"

for mode in ttl-1h ttl-1s; do
  ttl=${mode#ttl-}
  start_emulator "$emulator" "$work/emulator-$mode.log" "$key" --transaction-ttl "$ttl"
  echo "mode $mode: emulator pid $emulator_pid at $emulator_url" >&2
  report=$("$driver" "$emulator_url" "$key" "$emulator_pid" "${driver_args[@]}")
  stop_emulator
  printf '{"mode": "%s", "transaction_ttl": "%s", "result": %s}\n' "$mode" "$ttl" "$report" >> "$work/result"
  echo "$report" >&2
done

cp "$work/result" "$out"
echo "written: $out" >&2
cat "$out"
