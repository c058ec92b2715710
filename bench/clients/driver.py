"""The driver of bench/clients (run by bench/clients/run.sh in target/venv-bench).

Starts the release emulator once, runs every client implementation in a process of its
own against it, one after another, each doing the same N enroll -> status -> introspect
cycles after its warm-up; collects the JSON line each prints; prints a table (CPU ms per
cycle, wall ms per cycle, peak RSS, CPU ratio to the language's hand-written baseline);
times `import authcloud` against `import requests`; checks the issue's targets; writes the raw JSON and a bar chart.

Exit status: 0 when every implementation ran and printed a valid line (and, in a full
run, every target passed); 1 when an implementation failed or printed bad JSON; 3 when a
full run missed a target (the results are written all the same). In --smoke mode the
targets are printed but not enforced.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import secrets
import select
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

ROOT = Path(__file__).resolve().parents[2]
# run.sh builds the binaries (release, in the directory the wheel build shares; dev profile
# for --smoke) and passes their directory here; it is required, so a stale build left in
# another directory is never measured.
BIN_DIR = Path(os.environ.get("AUTHCLOUD_BIN_DIR", ""))
EMULATOR = BIN_DIR / "authcloud-emulator"
RUST_BENCH = BIN_DIR / "bench-clients"
PYTHON_BENCH = ROOT / "bench/clients/python/bench_clients.py"
KOTLIN_DIR = ROOT / "bench/clients/kotlin/target"
KOTLIN_MAIN = "dev.authcloud.bench.MainKt"

REQUESTS = "python-requests"
JAVA_NET_HTTP = "java-net-http"
REQWEST = "rust-reqwest"
LANGUAGE_NAMES = {"rust": "Rust", "python": "Python", "jvm": "Kotlin/JVM"}
COLORS = {"rust": "#c0582b", "python": "#3776ab", "jvm": "#7f52ff"}
IMPORT_RUNS = 5
# Timed in this order, alternating; the target is authcloud's median over requests'.
IMPORT_MODULES = ("requests", "authcloud")
IMPORT_RATIO_LIMIT = 1.0
# Warm-up of each JVM client (the same for the three). After 1,000 cycles the JIT still
# spent 0.4-0.5 s compiling during java.net.http's 500 measured cycles (0.6-0.8 s of CPU in
# all) on this machine, inflating the baseline; after 5,000 it usually spent much less but
# not always (one run: 0.6 s of JIT in java.net.http's loop). 10,000 and 2,000 measured
# cycles keep it settled (bench/README.md; the JVM lines report it as jit_compile_ms).
JVM_WARMUP = 10000
CYCLES = 2000


@dataclass
class Implementation:
    id: str
    label: str
    language: str
    argument: str  # the implementation's name for its own process
    baseline: str  # the id of the hand-written client its CPU is compared with
    result: Optional[Dict[str, Any]] = None
    error: Optional[str] = None
    ratios: Dict[str, Optional[float]] = field(default_factory=dict)
    # A rebuilt earlier version of the SDK (bench/clients/against-baseline.sh): the Python
    # that has its wheel, or its jar in place of the current one.
    interpreter: Optional[str] = None
    sdk_jar: Optional[str] = None
    # The id of the same client built from the current sources, for a rebuilt baseline.
    current: Optional[str] = None


def implementations() -> List[Implementation]:
    return [
        Implementation("rust-core-current-thread", "Rust core Client, current-thread runtime", "rust",
                       "core-current-thread", REQUESTS),
        Implementation("rust-core-multi-thread", "Rust core Client, multi-thread runtime", "rust",
                       "core-multi-thread", REQUESTS),
        Implementation(REQWEST, "Rust reqwest by hand (reference)", "rust", "reqwest", REQUESTS),
        Implementation("python-client", "Python Client (blocking)", "python", "client", REQUESTS),
        Implementation("python-async-client", "Python AsyncClient, 50 in flight", "python", "async-client", REQUESTS),
        Implementation(REQUESTS, "Python requests by hand (baseline)", "python", "requests", REQUESTS),
        Implementation("python-httpx", "Python httpx by hand", "python", "httpx", REQUESTS),
        Implementation("kotlin-client", "Kotlin Client (blocking)", "jvm", "client", JAVA_NET_HTTP),
        Implementation("kotlin-async-client", "Kotlin AsyncClient, coroutines, 50 in flight", "jvm",
                       "async-client", JAVA_NET_HTTP),
        Implementation(JAVA_NET_HTTP, "java.net.http by hand (baseline)", "jvm", "java-net-http", JAVA_NET_HTTP),
    ]


def with_rebuilt_baselines(impls: List[Implementation]) -> List[Implementation]:
    """Adds the blocking clients of a rebuilt earlier version, each right after the current
    one (same emulator, same run), when bench/clients/against-baseline.sh names them."""
    ref = os.environ.get("AUTHCLOUD_BENCH_BASELINE_REF", "baseline")
    python = os.environ.get("AUTHCLOUD_BENCH_BASELINE_PYTHON")
    jar = os.environ.get("AUTHCLOUD_BENCH_BASELINE_JAR")
    extra = {
        "python-client": python and Implementation(
            "python-client-rebuilt", f"Python Client (blocking), rebuilt {ref}", "python", "client", REQUESTS,
            interpreter=python, current="python-client"),
        "kotlin-client": jar and Implementation(
            "kotlin-client-rebuilt", f"Kotlin Client (blocking), rebuilt {ref}", "jvm", "client", JAVA_NET_HTTP,
            sdk_jar=jar, current="kotlin-client"),
    }
    out: List[Implementation] = []
    for impl in impls:
        out.append(impl)
        if extra.get(impl.id):
            out.append(extra[impl.id])
    return out


# --- the machine and the tools --------------------------------------------------------------

def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def command_output(command: List[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"unavailable ({error})"
    return (done.stdout + done.stderr).strip()


def versions() -> Dict[str, str]:
    java = command_output(["java", "-version"]).splitlines()
    return {
        "python": platform.python_version(),
        "java": java[0] if java else "unavailable",
        "rustc": command_output(["rustc", "--version"]),
    }


def project_version() -> str:
    """The Cargo workspace's version: the wheel's and the jar's."""
    in_section = False
    for line in (ROOT / "Cargo.toml").read_text().splitlines():
        if line.startswith("["):
            in_section = line.strip() == "[workspace.package]"
        elif in_section and line.startswith("version"):
            return line.split("=", 1)[1].strip().strip('"')
    return "unknown"


def artifacts() -> Dict[str, Any]:
    """The wheel and the jar under test (named by run.sh): name, size, time, SHA-256."""
    import hashlib

    found: Dict[str, Any] = {}
    for name, variable in (("wheel", "AUTHCLOUD_BENCH_WHEEL"), ("jar", "AUTHCLOUD_BENCH_JAR")):
        path = Path(os.environ.get(variable, ""))
        if not path.is_file():
            found[name] = None
            continue
        stat = path.stat()
        found[name] = {
            "path": shown_path(path),
            "bytes": stat.st_size,
            "modified": _dt.datetime.fromtimestamp(stat.st_mtime, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        }
    return found


def kotlin_classpath(sdk_jar: Optional[str] = None) -> str:
    dependencies = (KOTLIN_DIR / "classpath.txt").read_text().strip().split(":")
    if sdk_jar:
        # The SDK's jar in the local Maven repository, swapped for the one given.
        swapped = [sdk_jar if "/dev/authcloud/authcloud/" in entry else entry for entry in dependencies]
        if swapped == dependencies:
            raise RuntimeError("the bench's class path holds no dev.authcloud:authcloud jar to swap")
        dependencies = swapped
    return ":".join([str(KOTLIN_DIR / "authcloud-bench-clients.jar"), *dependencies])


# --- running ---------------------------------------------------------------------------------

class Emulator:
    """The release emulator in its own process, started once for the whole run."""

    def __init__(self, log: Path) -> None:
        self.access_key = "bench-" + secrets.token_hex(12)
        log.parent.mkdir(parents=True, exist_ok=True)
        self._log = log.open("w")
        self.process = subprocess.Popen(
            [str(EMULATOR), "--port", "0", "--access-key", self.access_key],
            stdout=subprocess.PIPE, stderr=self._log, text=True,
        )
        assert self.process.stdout is not None
        # Its first line says where it listens; give up after 10 s rather than hang.
        ready, _, _ = select.select([self.process.stdout], [], [], 10)
        first = self.process.stdout.readline().strip() if ready else ""
        if not first.startswith("listening on "):
            self.stop()
            raise RuntimeError(f"the emulator did not start (said {first!r}; see {log})")
        self.base_url = first[len("listening on "):]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def command_for(impl: Implementation, emulator: Emulator, cycles: int, warmup: int) -> List[str]:
    args = [impl.argument, emulator.base_url, emulator.access_key, str(cycles), str(warmup)]
    if impl.language == "rust":
        return [str(RUST_BENCH), *args]
    if impl.language == "python":
        return [impl.interpreter or sys.executable, str(PYTHON_BENCH), *args]
    return ["java", "-cp", kotlin_classpath(impl.sdk_jar), KOTLIN_MAIN, *args]


def validate(line: Dict[str, Any], impl: Implementation, cycles: int) -> Optional[str]:
    """Why a result line is unusable, or None."""
    if not isinstance(line, dict):
        return "not a JSON object"
    if line.get("implementation") != impl.argument:
        return f"implementation is {line.get('implementation')!r}, expected {impl.argument!r}"
    if line.get("cycles") != cycles:
        return f"cycles is {line.get('cycles')!r}, expected {cycles}"
    for key in ("cpu_ms_total", "wall_ms_total", "cpu_ms_per_cycle", "wall_ms_per_cycle", "peak_rss_mib"):
        value = line.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            return f"{key} is {value!r}, expected a finite number >= 0"
    if line["wall_ms_total"] <= 0 or line["peak_rss_mib"] <= 0:
        return "wall time and peak RSS must be positive"
    return None


def run_one(impl: Implementation, emulator: Emulator, cycles: int, warmup: int) -> None:
    timeout = 120 + 0.2 * (cycles + warmup)
    started = time.monotonic()
    try:
        command = command_for(impl, emulator, cycles, warmup)
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        impl.error = f"timed out after {timeout:.0f} s"
        return
    except OSError as error:
        impl.error = f"could not start: {error}"
        return
    took = time.monotonic() - started
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    if done.returncode != 0:
        impl.error = f"exit {done.returncode}: {done.stderr.strip()[-500:] or '(no output)'}"
        return
    if not lines:
        impl.error = "printed nothing"
        return
    try:
        line = json.loads(lines[-1])
    except json.JSONDecodeError as error:
        impl.error = f"bad JSON ({error}): {lines[-1][:200]!r}"
        return
    problem = validate(line, impl, cycles)
    if problem:
        impl.error = f"bad result line: {problem}"
        return
    line["process_seconds"] = round(took, 2)
    impl.result = line


def import_times(python: str) -> Dict[str, List[float]]:
    """`import authcloud` and `import requests`, each timed in its own fresh process,
    alternating, so both see the same machine: absolute import times vary 2-3x between
    days on shared machines, their ratio much less."""
    runs: Dict[str, List[float]] = {module: [] for module in IMPORT_MODULES}
    for _ in range(IMPORT_RUNS):
        for module in IMPORT_MODULES:
            code = f"import time; t = time.perf_counter(); import {module}; print((time.perf_counter() - t) * 1000)"
            done = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=60, check=True)
            runs[module].append(float(done.stdout.strip()))
    return runs


# --- reporting --------------------------------------------------------------------------------

def compute_ratios(impls: List[Implementation]) -> None:
    cpu = {i.id: i.result["cpu_ms_per_cycle"] for i in impls if i.result}

    def ratio(of: str, to: str) -> Optional[float]:
        if of not in cpu or not cpu.get(to):
            return None
        return cpu[of] / cpu[to]

    for impl in impls:
        impl.ratios = {"baseline": ratio(impl.id, impl.baseline)}
        if impl.language == "rust":
            impl.ratios["reqwest"] = ratio(impl.id, REQWEST)
        if impl.current:
            # The current client's CPU relative to this rebuilt earlier one.
            impl.ratios["current_to_rebuilt"] = ratio(impl.current, impl.id)


def check_targets(impls: List[Implementation], import_ratio: Optional[float]) -> List[Dict[str, Any]]:
    by_id = {i.id: i for i in impls}

    def ratio_target(name: str, impl_id: str, limit: float) -> Dict[str, Any]:
        impl = by_id.get(impl_id)
        value = impl.ratios.get("baseline") if impl else None
        return {"target": name, "value": value, "limit": limit, "unit": "x",
                "pass": value is not None and value <= limit}

    rebuilt = [
        {"target": f"{i.current} CPU/cycle within 10% of the rebuilt {os.environ.get('AUTHCLOUD_BENCH_BASELINE_REF', 'baseline')}",
         "value": i.ratios.get("current_to_rebuilt"), "limit": 1.10, "unit": "x",
         "pass": i.ratios.get("current_to_rebuilt") is not None and i.ratios["current_to_rebuilt"] <= 1.10}
        for i in impls if i.current
    ]
    return rebuilt + [
        ratio_target("Python Client CPU/cycle <= 0.2x requests", "python-client", 0.2),
        ratio_target("Rust core (current-thread) CPU/cycle <= 0.05x requests", "rust-core-current-thread", 0.05),
        ratio_target("Kotlin Client CPU/cycle <= 0.5x java.net.http", "kotlin-client", 0.5),
        {"target": f"import authcloud <= {IMPORT_RATIO_LIMIT}x import requests (medians of {IMPORT_RUNS} fresh processes each, "
                   "same run)", "value": import_ratio, "limit": IMPORT_RATIO_LIMIT, "unit": "x",
         "pass": import_ratio is not None and import_ratio <= IMPORT_RATIO_LIMIT},
    ]


def fmt_ratio(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.3f}x"


def print_table(impls: List[Implementation]) -> None:
    header = f"{'implementation':<46} {'CPU ms/cycle':>12} {'wall ms/cycle':>13} {'peak RSS MiB':>12} " \
             f"{'CPU vs baseline':>22} {'CPU vs reqwest':>14}  {'JVM: JIT, GC ms in the loop'}"
    print(header)
    print("-" * len(header))
    for impl in impls:
        if impl.result is None:
            print(f"{impl.label:<46} FAILED: {impl.error}")
            continue
        r = impl.result
        baseline = "requests" if impl.baseline == REQUESTS else "java.net.http"
        against = f"{fmt_ratio(impl.ratios.get('baseline'))} {baseline}"
        reqwest = fmt_ratio(impl.ratios.get("reqwest")) if impl.language == "rust" else ""
        jvm = f"{r.get('jit_compile_ms', '-')}, {r.get('gc_ms', '-')}" if impl.language == "jvm" else ""
        print(f"{impl.label:<46} {r['cpu_ms_per_cycle']:>12.4f} {r['wall_ms_per_cycle']:>13.3f} "
              f"{r['peak_rss_mib']:>12.1f} {against:>22} {reqwest:>14}  {jvm}".rstrip())


def draw_chart(impls: List[Implementation], path: Path, subtitle: str, footnote: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    rows = [i for i in impls if i.result is not None]
    # Top to bottom in the table's order, a gap between languages.
    positions, y, previous = [], 0.0, None
    for impl in rows:
        if previous is not None and impl.language != previous:
            y += 0.6
        positions.append(y)
        y += 1.0
        previous = impl.language
    values = [i.result["cpu_ms_per_cycle"] for i in rows]
    fig, ax = plt.subplots(figsize=(11, 0.55 * len(rows) + 1.8), dpi=120)
    ax.barh(positions, values, color=[COLORS[i.language] for i in rows], height=0.75)
    ax.set_yticks(positions, [i.label for i in rows])
    ax.invert_yaxis()
    top = max(values) if values else 1.0
    for pos, impl, value in zip(positions, rows, values):
        baseline = "requests" if impl.baseline == REQUESTS else "java.net.http"
        text = f"{value:.3f} ms  ({fmt_ratio(impl.ratios.get('baseline'))} {baseline}"
        if impl.language == "rust" and impl.id != REQWEST:
            text += f", {fmt_ratio(impl.ratios.get('reqwest'))} reqwest"
        text += ")"
        ax.text(value + top * 0.01, pos, text, va="center", fontsize=9)
    ax.set_xlim(0, top * 1.55)
    ax.set_xlabel("CPU time per enroll -> status -> introspect cycle (ms, user + sys, whole process)")
    ax.set_title(f"authcloud clients: CPU per cycle\n{subtitle}", fontsize=11)
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    ax.legend(handles=[Patch(color=COLORS[k], label=v) for k, v in LANGUAGE_NAMES.items()], loc="upper right")
    if footnote:
        fig.text(0.01, 0.01, footnote, fontsize=8, color="#444444", va="bottom")
    fig.tight_layout(rect=(0, 0.03 if footnote else 0, 1, 1))
    fig.savefig(path)
    plt.close(fig)


def shown_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


# --- main -------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cycles", type=int, help="measured cycles per implementation (default 2000; smoke 20)")
    parser.add_argument("--warmup", type=int, help="warm-up cycles for Rust and Python (default 30; smoke 3)")
    parser.add_argument("--jvm-warmup", type=int,
                        help=f"warm-up cycles for each JVM client (default {JVM_WARMUP}; smoke 20)")
    parser.add_argument("--smoke", action="store_true", help="a quick correctness run into target/bench-smoke/")
    parser.add_argument("--only", help="comma-separated implementation ids (for development)")
    parser.add_argument("--out", type=Path, help="output directory (default bench/results, smoke target/bench-smoke)")
    args = parser.parse_args()
    if not os.environ.get("AUTHCLOUD_BIN_DIR"):
        parser.error("AUTHCLOUD_BIN_DIR is not set: run it through bench/clients/run.sh, which builds the binaries")
    cycles = args.cycles if args.cycles is not None else (20 if args.smoke else CYCLES)
    warmup = args.warmup if args.warmup is not None else (3 if args.smoke else 30)
    jvm_warmup = args.jvm_warmup if args.jvm_warmup is not None else (20 if args.smoke else JVM_WARMUP)
    out = args.out or (ROOT / ("target/bench-smoke" if args.smoke else "bench/results"))
    if cycles < 1 or warmup < 0 or jvm_warmup < 0:
        parser.error("--cycles must be >= 1 and the warm-ups >= 0")

    impls = with_rebuilt_baselines(implementations())
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {i.id for i in impls}
        if unknown:
            parser.error(f"unknown implementation(s): {', '.join(sorted(unknown))}")
        impls = [i for i in impls if i.id in wanted]

    started = time.monotonic()
    now = _dt.datetime.now(_dt.timezone.utc)
    load_before = os.getloadavg()
    mode = "smoke" if args.smoke else "full"
    print(f"bench/clients ({mode}): {cycles} cycles each; warm-up {warmup} (Rust, Python), {jvm_warmup} (JVM); "
          f"load average {load_before[0]:.2f}")
    if load_before[0] > 0.5 and not args.smoke:
        print(f"note: the machine is not idle (load average {load_before[0]:.2f}): CPU and wall times may be "
              "inflated by other work")

    emulator = Emulator(ROOT / "target/bench-clients/emulator.log")
    try:
        print(f"emulator: {emulator.base_url}")
        for impl in impls:
            w = jvm_warmup if impl.language == "jvm" else warmup
            run_one(impl, emulator, cycles, w)
            if impl.result:
                r = impl.result
                print(f"  {impl.id:<26} {r['cpu_ms_per_cycle']:8.4f} ms CPU/cycle  {r['wall_ms_per_cycle']:7.3f} ms "
                      f"wall/cycle  {r['peak_rss_mib']:6.1f} MiB  ({r['process_seconds']} s)")
            else:
                print(f"  {impl.id:<26} FAILED: {impl.error}")
    finally:
        emulator.stop()

    import_runs: Dict[str, List[float]] = {}
    import_ms: Dict[str, float] = {}
    import_ratio: Optional[float] = None
    import_error: Optional[str] = None
    try:
        import_runs = import_times(sys.executable)
        import_ms = {module: statistics.median(runs) for module, runs in import_runs.items()}
        import_ratio = import_ms["authcloud"] / import_ms["requests"]
    except (subprocess.SubprocessError, ValueError) as error:
        import_error = str(error)

    compute_ratios(impls)
    targets = check_targets(impls, import_ratio)
    failed = [i for i in impls if i.result is None]
    duration = time.monotonic() - started

    print()
    print_table(impls)
    print()
    if import_ratio is not None:
        for module in IMPORT_MODULES:
            print(f"import {module}: median {import_ms[module]:.1f} ms of {IMPORT_RUNS} fresh processes "
                  f"({', '.join(f'{t:.1f}' for t in import_runs[module])})")
        print(f"import authcloud / import requests: {import_ratio:.3f}x")
    else:
        print(f"import authcloud: FAILED: {import_error}")
    print("targets" + (" (not enforced in smoke mode)" if args.smoke else "") + ":")
    for target in targets:
        value = target["value"]
        shown = "-" if value is None else (f"{value:.3f}x" if target["unit"] == "x" else f"{value:.1f} ms")
        print(f"  {'PASS' if target['pass'] else 'MISS'}  {target['target']}: {shown}")

    document = {
        "date": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "mode": mode,
        "cpu": cpu_model(),
        "nproc": len(os.sched_getaffinity(0)),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "authcloud_version": project_version(),
        "cycles": cycles,
        "warmup": {"rust": warmup, "python": warmup, "jvm": jvm_warmup},
        "versions": versions(),
        "artifacts": artifacts(),
        **({"rebuilt_baseline": {"ref": os.environ.get("AUTHCLOUD_BENCH_BASELINE_REF"),
                                 "python": os.environ.get("AUTHCLOUD_BENCH_BASELINE_PYTHON"),
                                 "jar": os.environ.get("AUTHCLOUD_BENCH_BASELINE_JAR")}}
           if any(i.current for i in impls) else {}),
        "implementations": [
            {"id": i.id, "label": i.label, "language": i.language, "baseline": i.baseline,
             "result": i.result, "error": i.error,
             "cpu_ratio_to_baseline": i.ratios.get("baseline"),
             **({"cpu_ratio_to_reqwest": i.ratios.get("reqwest")} if i.language == "rust" else {}),
             **({"current": i.current, "current_cpu_ratio_to_this": i.ratios.get("current_to_rebuilt")}
                if i.current else {})}
            for i in impls
        ],
        "import_ms": {module: {"median": import_ms.get(module), "runs": import_runs.get(module, [])}
                      for module in IMPORT_MODULES},
        "import_authcloud_to_requests": import_ratio,
        "import_error": import_error,
        "targets": targets,
        "duration_seconds": round(duration, 1),
    }
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(document, indent=2) + "\n"
    dated = out / f"clients-{now.strftime('%Y-%m-%dT%H%M%SZ')}.json"  # one file per run, never overwritten
    dated.write_text(text)
    (out / "clients-latest.json").write_text(text)
    chart = out / "clients.png"
    subtitle = (f"{cycles} cycles each, {document['nproc']} cores ({document['cpu']}), {now.strftime('%Y-%m-%d')}\n"
                "ratio: CPU/cycle over the hand-written baseline (Rust and Python: requests; JVM: java.net.http)")
    footnote = (f"wall ms/cycle, peak RSS and raw numbers: {dated.name}. "
                f"import authcloud: {'-' if import_ratio is None else f'{import_ratio:.2f}x import requests'} "
                f"(medians of {IMPORT_RUNS}). "
                f"Warm-up: {warmup} cycles (Rust, Python), {jvm_warmup} (JVM).")
    draw_chart(impls, chart, subtitle, footnote)
    print(f"\nwrote {shown_path(dated)}, {shown_path(out / 'clients-latest.json')}, {shown_path(chart)} "
          f"({duration:.0f} s)")

    if failed or import_ratio is None:
        print(f"FAILED: {', '.join(i.id for i in failed) or 'import authcloud'}", file=sys.stderr)
        return 1
    if not args.smoke and not all(t["pass"] for t in targets):
        print("some targets were missed (see above)", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
