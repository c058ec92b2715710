"""One Python client under test, in a process of its own.

    python bench_clients.py IMPLEMENTATION BASE_URL ACCESS_KEY CYCLES WARMUP

runs WARMUP and then CYCLES enroll -> status -> introspect cycles against the emulator,
checking every answer, and prints one JSON line: the CPU time of this whole process (all
threads, ``getrusage(RUSAGE_SELF)``) and the wall time of the measured cycles only, and the
peak RSS (``VmHWM``). IMPLEMENTATION:

- ``client``: ``authcloud.Client`` (blocking), one cycle at a time;
- ``async-client``: ``authcloud.AsyncClient`` on asyncio, 50 cycles in flight;
- ``requests``: a hand-written client (one ``requests.Session``) from the guide's curl lines;
- ``httpx``: the same with one ``httpx.Client``.

Only the library the implementation needs is imported. Part of ``bench/clients/run.sh``.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from typing import Any, Callable, Dict, Tuple

IN_FLIGHT = 50


class BenchFailure(Exception):
    """An answer that is not what the guide promises."""


def cpu_ms() -> Tuple[float, float]:
    """User and system CPU time of this whole process (all threads), in milliseconds."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime * 1000.0, usage.ru_stime * 1000.0


def measure(run: Callable[[], Any]) -> Dict[str, float]:
    """CPU (user, sys) and wall time of `run()`, in milliseconds."""
    cpu_before, started = cpu_ms(), time.perf_counter()
    run()
    wall_ms = (time.perf_counter() - started) * 1000.0
    cpu_after = cpu_ms()
    return {"wall_ms": wall_ms, "user_ms": cpu_after[0] - cpu_before[0], "sys_ms": cpu_after[1] - cpu_before[1]}


def peak_rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise BenchFailure(what)


# --- the SDK --------------------------------------------------------------------------------

def sdk_blocking(base_url: str, access_key: str) -> Callable[[str], None]:
    import authcloud

    # Default timeouts and retries: only the URL and the key are set.
    client = authcloud.Client(authcloud.ClientConfig(base_url=base_url, access_key=access_key))

    def cycle(username: str) -> None:
        enrolled = client.enroll(username=username)
        token = enrolled.enrollment.status_token
        status = client.status(token)
        expect(status.status_text == "pending", f"status: expected pending, got {status.status_text!r}")
        expect(client.introspect(token).active, "introspect: the status token is not active")

    return cycle


def run_sdk_async(base_url: str, access_key: str, cycles: int, warmup: int, prefix: str) -> Dict[str, float]:
    import asyncio

    import authcloud

    async def main() -> Dict[str, float]:
        client = authcloud.AsyncClient(authcloud.ClientConfig(base_url=base_url, access_key=access_key))

        async def cycle(username: str) -> None:
            enrolled = await client.enroll(username=username)
            token = enrolled.enrollment.status_token
            status = await client.status(token)
            expect(status.status_text == "pending", f"status: expected pending, got {status.status_text!r}")
            expect((await client.introspect(token)).active, "introspect: the status token is not active")

        async def run(count: int, tag: str) -> None:
            # IN_FLIGHT workers share one counter: at most IN_FLIGHT cycles at any time.
            indices = iter(range(count))

            async def worker() -> None:
                for i in indices:
                    await cycle(f"{prefix}-{tag}{i}")

            await asyncio.gather(*(worker() for _ in range(min(IN_FLIGHT, count))))

        await run(warmup, "w")
        cpu_before, started = cpu_ms(), time.perf_counter()
        await run(cycles, "")
        wall_ms = (time.perf_counter() - started) * 1000.0
        cpu_after = cpu_ms()
        return {"wall_ms": wall_ms, "user_ms": cpu_after[0] - cpu_before[0], "sys_ms": cpu_after[1] - cpu_before[1]}

    return asyncio.run(main())


# --- by hand, from the guide's curl lines ---------------------------------------------------

def by_hand(library: str, base_url: str, access_key: str) -> Callable[[str], None]:
    if library == "requests":
        import requests

        http: Any = requests.Session()
    else:
        import httpx

        http = httpx.Client()
    enroll_url = f"{base_url}/api/v1/users/enroll"
    status_url = f"{base_url}/api/v1/status"
    introspect_url = f"{base_url}/api/v1/introspect"
    auth = {"Authorization": f"Bearer {access_key}"}

    def cycle(username: str) -> None:
        answer = http.post(enroll_url, json={"username": username}, headers=auth)
        expect(answer.status_code == 201, f"enroll: HTTP {answer.status_code}: {answer.text[:200]}")
        token = answer.json()["enrollment"]["statusToken"]
        expect(isinstance(token, str) and token != "", "enroll: no enrollment.statusToken")

        answer = http.post(status_url, json={"statusToken": token})
        expect(answer.status_code == 200, f"status: HTTP {answer.status_code}: {answer.text[:200]}")
        status = answer.json()["status"]
        expect(status == "pending", f"status: expected pending, got {status!r}")

        answer = http.post(introspect_url, data={"token": token}, headers=auth)
        expect(answer.status_code == 200, f"introspect: HTTP {answer.status_code}: {answer.text[:200]}")
        expect(answer.json()["active"] is True, "introspect: the status token is not active")

    return cycle


def library_version(implementation: str) -> str:
    from importlib.metadata import version

    name = {"client": "authcloud", "async-client": "authcloud"}.get(implementation, implementation)
    return f"{name} {version(name)}"


def main(argv: list[str]) -> int:
    if len(argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    implementation, base_url, access_key, cycles_text, warmup_text = argv
    base_url = base_url.rstrip("/")
    cycles, warmup = int(cycles_text), int(warmup_text)
    prefix = f"py-{implementation}-{os.getpid()}"

    if implementation == "async-client":
        measured = run_sdk_async(base_url, access_key, cycles, warmup, prefix)
        concurrency = IN_FLIGHT
    else:
        if implementation == "client":
            cycle = sdk_blocking(base_url, access_key)
        elif implementation in ("requests", "httpx"):
            cycle = by_hand(implementation, base_url, access_key)
        else:
            print(f"unknown implementation {implementation!r}", file=sys.stderr)
            return 2
        for i in range(warmup):
            cycle(f"{prefix}-w{i}")

        def loop() -> None:
            for i in range(cycles):
                cycle(f"{prefix}-{i}")

        measured = measure(loop)
        concurrency = 1

    per = max(cycles, 1)
    cpu_total = measured["user_ms"] + measured["sys_ms"]
    line = {
        "implementation": implementation,
        "language": "python",
        "library": library_version(implementation),
        "cycles": cycles,
        "warmup": warmup,
        "concurrency": concurrency,
        "cpu_ms_total": cpu_total,
        "cpu_user_ms_total": measured["user_ms"],
        "cpu_sys_ms_total": measured["sys_ms"],
        "wall_ms_total": measured["wall_ms"],
        "cpu_ms_per_cycle": cpu_total / per,
        "wall_ms_per_cycle": measured["wall_ms"] / per,
        "peak_rss_mib": peak_rss_mib(),
    }
    print(json.dumps(line))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Exception as error:  # one line on stderr for the driver, exit 1
        print(f"bench_clients.py: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
