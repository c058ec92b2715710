#!/usr/bin/env bash
# The Ctrl-C test of the Python package, over and over under CPU load (issue 18): it once
# failed on a fresh clone and passed on every rerun. Not a stage of ./test.sh (about 15
# minutes for 200 runs).
#
#   tests/ctrl-c-loop.sh [RUNS] [BURNERS]     defaults: 200 runs, one busy process per core
#
# Runs bindings/python/tests/test_reliability.py::test_ctrl_c_interrupts_a_blocking_wait_within_a_poll_interval
# itself (the same code, not a copy) against the wheel of ./test.sh python
# (target/wheels/authcloud-*manylinux*.whl, built when missing), while BURNERS processes keep
# every core busy. Writes bench/results/ctrl-c-loop-<UTC date>.json: runs, failures, each
# failure's message, the slowest runs.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${1:-200}
BURNERS=${2:-$(nproc)}
# ensure_venv, PYTEST_VERSION.
. scripts/lib.sh

if [ -z "$(ls target/wheels/authcloud-*manylinux*.whl 2>/dev/null)" ]; then
  ./test.sh python
fi
wheel=$(ls -t target/wheels/authcloud-*manylinux*.whl | head -n1)
venv=target/venv-ctrl-c
ensure_venv "$venv" .wheel "$wheel $(stat -c %Y "$wheel")" "$wheel" "pytest==$PYTEST_VERSION"

burners=()
stop_burners() { [ ${#burners[@]} -eq 0 ] || kill "${burners[@]}" 2>/dev/null || true; }
trap stop_burners EXIT
for _ in $(seq 1 "$BURNERS"); do
  python3 -c 'while True: pass' &
  burners+=($!)
done

out="bench/results/ctrl-c-loop-$(date -u +%Y-%m-%d).json"
"$venv/bin/python" - "$RUNS" "$BURNERS" "$out" "$wheel" <<'EOF'
import json, pathlib, platform, sys, tempfile, time

runs, burners, out, wheel = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
sys.path.insert(0, "bindings/python/tests")
import test_reliability  # the test itself

failures, durations = [], []
started = time.monotonic()
for run in range(1, runs + 1):
    with tempfile.TemporaryDirectory() as tmp:
        began = time.monotonic()
        try:
            test_reliability.test_ctrl_c_interrupts_a_blocking_wait_within_a_poll_interval(pathlib.Path(tmp))
        except BaseException as failure:  # pytest.fail raises a BaseException subclass
            failures.append({"run": run, "failure": f"{type(failure).__name__}: {failure}"[:2000]})
            print(f"run {run}: FAILED {failure}", flush=True)
        durations.append(round(time.monotonic() - began, 3))
    if run % 20 == 0:
        print(f"{run}/{runs} runs, {len(failures)} failures", flush=True)
result = {
    "test": "bindings/python/tests/test_reliability.py::test_ctrl_c_interrupts_a_blocking_wait_within_a_poll_interval",
    "wheel": pathlib.Path(wheel).name,
    "runs": runs,
    "failures": len(failures),
    "failed_runs": failures,
    "cpu_burners": burners,
    "cores": __import__("os").cpu_count(),
    "machine": platform.machine(),
    "python": platform.python_version(),
    "seconds_per_run": {"min": min(durations), "median": sorted(durations)[len(durations) // 2], "max": max(durations)},
    "total_seconds": round(time.monotonic() - started, 1),
    "utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
}
pathlib.Path(out).write_text(json.dumps(result, indent=2) + "\n")
print(f"{runs} runs under {burners} busy processes: {len(failures)} failures -> {out}")
sys.exit(1 if failures else 0)
EOF
