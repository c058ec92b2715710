#!/usr/bin/env bash
# 10,000 concurrent waits in one process against the emulator in another process, on this
# machine: peak RSS and CPU of the SDK's process while the waits poll every 1.5 s.
# Budget (issue 3): <= 150 MB RSS and <= 1 core. Raw result: bench/results/waits-10000.json.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
KEY=bench-key-$RANDOM$RANDOM
cargo build --locked --release -q -p authcloud-emulator -p authcloud-bench-waits
# Users approve 40 s after enrolling, so every wait runs for many polls.
target/release/authcloud-emulator --port 0 --access-key "$KEY" --auto-approve-after 40s --transaction-ttl 10m \
  > target/bench-emulator.out 2>/dev/null &
emu=$!
trap 'kill $emu 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q listening target/bench-emulator.out 2>/dev/null && break; sleep 0.1; done
base=$(sed -n 's/^listening on //p' target/bench-emulator.out)
out=bench/results/waits-$N.json
{
  echo "{\"date\": \"$(date -u +%FT%TZ)\", \"nproc\": $(nproc), \"cpu\": \"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)\","
  echo " \"result\":"
  target/release/bench-waits "$base" "$KEY" "$N"
  echo "}"
} > "$out"
cat "$out"
