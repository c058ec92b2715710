# Sourced by shell scripts that need the emulator binary in a process of its own (test.sh's
# size stage, bench/waits.sh, bench/clients/profile-*.sh).
#
#   start_emulator BINARY LOG ACCESS_KEY [EMULATOR OPTIONS...]
#
# starts BINARY --port 0 --access-key ACCESS_KEY OPTIONS with its output in LOG, waits up to
# 10 s for its "listening on URL" line, and sets `emulator_pid` and `emulator_url`; fails
# (after stopping it) when the line never comes. `stop_emulator` stops it and waits for it.

start_emulator() {
  local binary=$1 log=$2 key=$3
  shift 3
  "$binary" --port 0 --access-key "$key" "$@" > "$log" 2>&1 &
  emulator_pid=$!
  for _ in $(seq 100); do grep -q '^listening on ' "$log" 2>/dev/null && break; sleep 0.1; done
  emulator_url=$(sed -n 's/^listening on //p' "$log")
  if [ -z "$emulator_url" ]; then
    echo "the emulator did not start (see $log)" >&2
    stop_emulator
    return 1
  fi
}

stop_emulator() {
  if [ -n "${emulator_pid:-}" ]; then
    kill "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
    emulator_pid=
  fi
}
