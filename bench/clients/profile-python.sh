#!/usr/bin/env bash
# Where a blocking Python call's CPU goes (issue 14): perf samples of the Python process
# running `authcloud.Client` cycles (enroll -> status -> introspect) against the release
# emulator in another process, with the SDK's library unstripped so Rust frames have names.
#
#   bench/clients/profile-python.sh [CYCLES]     (default 4,000; needs perf and inferno:
#                                                 apt install linux-perf; cargo install inferno)
#
# Writes bench/results/python-client-profile.txt (CPU by layer: kernel, Python interpreter,
# ctypes, the SDK's library split by crate, libc; and the top functions)
# and bench/results/python-client-flamegraph.svg. Uses bench/clients/run.sh's venv and
# the release library `target/<host triple>/release/libauthcloud_ffi.so` (./test.sh python builds it).
set -euo pipefail
cd "$(dirname "$0")/../.."
# HOST_TRIPLE and RELEASE_DIR: release builds share the wheel build's directory.
. scripts/lib.sh
CYCLES=${1:-4000}
command -v perf >/dev/null && command -v inferno-flamegraph >/dev/null ||
  { echo "needs perf and inferno (cargo install inferno)" >&2; exit 2; }
[ -x target/venv-bench/bin/python ] || { echo "run bench/clients/run.sh --smoke first (it makes the venv)" >&2; exit 2; }
cargo build --locked --release --target "$HOST_TRIPLE" -q -p authcloud-emulator -p authcloud-ffi --features authcloud-ffi/emulator

work=target/profile-python
rm -rf "$work" && mkdir -p "$work"
site=$(target/venv-bench/bin/python -c "import authcloud, os; print(os.path.dirname(authcloud.__file__))")
cp -r "$site" "$work/authcloud"
cp "$RELEASE_DIR"/libauthcloud_ffi.so "$work/authcloud/_native/libauthcloud_ffi.so"

key=profile-$RANDOM$RANDOM
. scripts/emulator-process.sh
trap stop_emulator EXIT
start_emulator "$RELEASE_DIR"/authcloud-emulator "$work/emulator.out" "$key"
base=$emulator_url

PYTHONPATH=$work perf record -q -F 4999 --call-graph dwarf,16384 -o "$work/perf.data" -- \
  target/venv-bench/bin/python bench/clients/python/bench_clients.py client "$base" "$key" "$CYCLES" 200 \
  > "$work/result.json" 2>/dev/null
perf script -i "$work/perf.data" 2>/dev/null > "$work/perf.script"
inferno-collapse-perf --all < "$work/perf.script" > "$work/collapsed.txt"
inferno-flamegraph --minwidth 1.5 --title "authcloud.Client (Python, blocking): enroll -> status -> introspect, $CYCLES cycles" \
  < "$work/collapsed.txt" > bench/results/python-client-flamegraph.svg

perf report -i "$work/perf.data" --no-children --sort dso -g none --stdio -q 2>/dev/null > "$work/by-dso.txt"
perf report -i "$work/perf.data" --no-children --sort dso,sym -g none --stdio -q 2>/dev/null > "$work/by-symbol.txt"

python3 - "$work" "$CYCLES" > bench/results/python-client-profile.txt <<'PY'
import collections, datetime, json, re, subprocess, sys
work, cycles = sys.argv[1], int(sys.argv[2])
result = json.load(open(f"{work}/result.json"))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
nproc = subprocess.check_output(["nproc"]).decode().strip()
LINE = re.compile(r"^\s*([0-9.]+)%\s+(\S+)(?:\s+\[.\]\s+(.*))?$")
def rows(path):
    for line in open(path):
        m = LINE.match(line.rstrip())
        if m:
            yield float(m.group(1)), m.group(2), (m.group(3) or "").strip()
LAYER = {"[kernel.kallsyms]": "kernel: syscalls, TCP over loopback (the sender runs the receiver's TCP stack), wake-ups",
         "libpython3.11.so.1.0": "Python interpreter: the generated bindings and the wrapper (conversions, objects)",
         "libauthcloud_ffi.so": "the SDK's native library (Rust: split below)",
         "libc.so.6": "libc (malloc/free, memcpy)"}
def layer(dso):
    if dso.startswith("libpython"):
        return LAYER["libpython3.11.so.1.0"]
    if dso.startswith(("_ctypes", "libffi")):
        return "ctypes + libffi (the FFI calls themselves)"
    return LAYER.get(dso, "other (" + dso + ")")
by_layer = collections.Counter()
for pct, dso, _ in rows(f"{work}/by-dso.txt"):
    by_layer[layer(dso)] += pct
def crate(sym):
    if sym.startswith("core::ptr::drop_in_place<"):
        sym = sym[len("core::ptr::drop_in_place<"):]
    m = re.match(r"^(?:<(?:&(?:mut )?)?)?(?:dyn )?([A-Za-z_][A-Za-z0-9_]*)::", sym)
    return m.group(1) if m else "[unnamed: C, inlined or outlined code]"
by_crate, top = collections.Counter(), []
for pct, dso, sym in rows(f"{work}/by-symbol.txt"):
    if dso == "libauthcloud_ffi.so":
        by_crate[crate(sym)] += pct
    top.append((pct, dso, sym))
per_cycle = result["cpu_ms_per_cycle"]
print("Where a blocking Python call's CPU goes: authcloud.Client, enroll -> status -> introspect")
print("=" * 90)
print(f"{datetime.date.today()}, {cpu}, {nproc} cores; {cycles} cycles after 200 warm-up;")
print("perf record -F 4999 --call-graph dwarf of the Python process (all its threads), the release")
print("emulator in another process. bench/clients/profile-python.sh; python-client-flamegraph.svg.")
print(f"CPU in that run, under perf: {per_cycle:.3f} ms per cycle (without perf: see clients-latest.json)")
print("\nSelf time by layer (share of the process's samples; ms per cycle at the rate above):")
for name, pct in by_layer.most_common():
    print(f"  {pct:5.1f}%  {per_cycle * pct / 100:.3f} ms  {name}")
print("\nInside the SDK's native library, by crate:")
for name, pct in by_crate.most_common(14):
    print(f"  {pct:5.1f}%  {per_cycle * pct / 100:.4f} ms  {name}")
print("\nTop 30 functions by self time:")
for pct, dso, sym in top[:30]:
    print(f"  {pct:5.1f}%  {dso[:22]:22} {sym[:100]}")
PY
cat bench/results/python-client-profile.txt
