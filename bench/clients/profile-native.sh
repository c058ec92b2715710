#!/usr/bin/env bash
# Where the CPU of the two clients that miss their issue-14 target goes: the Rust core
# (`authcloud::Client` on a current-thread runtime) and the Kotlin blocking `Client`, each
# against the release emulator in another process, like bench/clients/run.sh.
#
#   bench/clients/profile-native.sh          (needs perf and strace; run bench/clients/run.sh
#                                             --smoke first: it builds what this runs)
#
# Rust core: perf samples of the whole run (warm-up 200 of 6,000 cycles) by shared object,
# by crate and by function, and the system calls per cycle (strace -c -f; a separate run).
# Kotlin: perf samples of the measured loop only (recording starts after the 10,000-cycle
# warm-up), by shared object and by function, JIT-compiled Java named through the JVM's perf
# map (-XX:+DumpPerfMapAtExit). Writes bench/results/rust-core-profile.txt and
# bench/results/kotlin-client-profile.txt.
set -eu  # no pipefail: `perf report | head` ends perf with SIGPIPE by design
cd "$(dirname "$0")/../.."
# HOST_TRIPLE and RELEASE_DIR: release builds share the wheel build's directory.
. scripts/lib.sh
command -v perf >/dev/null && command -v strace >/dev/null || { echo "needs perf and strace" >&2; exit 2; }
[ -f bench/clients/kotlin/target/classpath.txt ] || { echo "run bench/clients/run.sh --smoke first" >&2; exit 2; }
cargo build --locked --release --target "$HOST_TRIPLE" -q -p authcloud-emulator -p authcloud-bench-clients
work=target/profile-native
rm -rf "$work" && mkdir -p "$work"
key=profile-$RANDOM$RANDOM
. scripts/emulator-process.sh
trap stop_emulator EXIT
start_emulator "$RELEASE_DIR"/authcloud-emulator "$work/emulator.out" "$key"
base=$emulator_url
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)

report() { # perf.data, what, how many top functions
  perf report -i "$1" --no-children --sort dso -g none --stdio -q 2>/dev/null | sed 's/[[:space:]]*$//' | head -12
  echo
  echo "Top $3 functions by self time ($2):"
  perf report -i "$1" --no-children --sort dso,sym -g none --stdio -q 2>/dev/null | sed 's/[[:space:]]*$//' | head -"$3"
}

# --- Rust core ---------------------------------------------------------------------------
CYCLES=6000
perf record -q -F 4999 -o "$work/rust.data" -- "$RELEASE_DIR"/bench-clients core-current-thread "$base" "$key" $CYCLES 200 \
  > "$work/rust.json"
strace -c -f -o "$work/rust.strace" "$RELEASE_DIR"/bench-clients core-current-thread "$base" "$key" 2000 0 > /dev/null
perf report -i "$work/rust.data" --no-children --sort sym -g none --stdio -q 2>/dev/null > "$work/rust-syms.txt"
{
  echo "Where the Rust core's CPU goes: authcloud::Client (current-thread runtime), enroll -> status -> introspect"
  echo "=================================================================================================="
  echo "$(date -u +%F), $cpu, $(nproc) cores; bench/clients/profile-native.sh"
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(f'{d[\"cycles\"]} cycles under perf: {d[\"cpu_ms_per_cycle\"]:.3f} ms CPU per cycle (user {d[\"cpu_user_ms_total\"]/d[\"cycles\"]:.3f}, system {d[\"cpu_sys_ms_total\"]/d[\"cycles\"]:.3f})')" "$work/rust.json"
  echo
  echo "Self time by shared object (the whole process; [kernel.kallsyms] = system time):"
  report "$work/rust.data" "all code" 30
  echo
  echo "The binary's own code by crate (share of all samples):"
  python3 - "$work/rust-syms.txt" <<'PY'
import collections, re, sys
by = collections.Counter()
for line in open(sys.argv[1]):
    m = re.match(r"^\s*([0-9.]+)%\s+\[\.\]\s+(.*?)\s*$", line)
    if not m:
        continue
    sym = m.group(2)
    if sym.startswith("core::ptr::drop_in_place<"):
        sym = sym[len("core::ptr::drop_in_place<"):]
    c = re.match(r"^(?:<(?:&(?:mut )?)?)?(?:dyn )?([A-Za-z_][A-Za-z0-9_]*)::", sym)
    by[c.group(1) if c else "[unnamed]"] += float(m.group(1))
for name, pct in by.most_common(16):
    print(f"  {pct:5.1f}%  {name}")
PY
  echo
  echo "System calls per cycle (strace -c -f, 2,000 cycles, a separate run; strace slows the calls, not their number):"
  awk -v n=2000 'NR>2 && $NF!="total" && $4 ~ /^[0-9]+$/ {printf "  %-16s %6.2f per cycle\n", $NF, $4/n}' "$work/rust.strace" | sort -k2 -n -r | head -10
} > bench/results/rust-core-profile.txt

# --- Kotlin Client -------------------------------------------------------------------------
CP="bench/clients/kotlin/target/authcloud-bench-clients.jar:$(cat bench/clients/kotlin/target/classpath.txt)"
java -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit -cp "$CP" dev.authcloud.bench.MainKt client \
  "$base" "$key" 8000 10000 > "$work/kotlin.json" &
jvm=$!
# The warm-up (10,000 cycles) takes ~20 s here; record from 30 s on, inside the measured loop.
sleep 30
perf record -q -F 4999 -p "$jvm" -o "$work/kotlin.data" -- sleep 10 2>/dev/null || true
wait "$jvm"
{
  echo "Where the Kotlin blocking Client's CPU goes: dev.authcloud.Client, enroll -> status -> introspect"
  echo "=============================================================================================="
  echo "$(date -u +%F), $cpu, $(nproc) cores; bench/clients/profile-native.sh"
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(f'{d[\"cycles\"]} cycles after {d[\"warmup\"]} warm-up: {d[\"cpu_ms_per_cycle\"]:.3f} ms CPU per cycle (JIT {d[\"jit_compile_ms\"]} ms, GC {d[\"gc_ms\"]} ms in the loop)')" "$work/kotlin.json"
  echo "perf recorded 10 s of the measured loop. jna*.tmp is the SDK's library as JNA extracted it"
  echo "from the jar (the larger one) and JNA's own libjnidispatch (the smaller one); [JIT] and"
  echo "perf-*.map are JIT-compiled Java and Kotlin; libjvm.so is the JVM itself (GC, JIT"
  echo "compiler, runtime stubs, JNI transitions)."
  echo
  echo "Self time by shared object:"
  report "$work/kotlin.data" "all code" 40
} > bench/results/kotlin-client-profile.txt
cat bench/results/rust-core-profile.txt bench/results/kotlin-client-profile.txt
