"""Backends of the web examples, started as a user starts them (run.sh --port 0), and a
headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import os
import pathlib
import re
import select
import signal
import subprocess
import time

import httpx
import pytest
from playwright.sync_api import sync_playwright

REPO = pathlib.Path(__file__).resolve().parents[2]
ACCESS_KEY = "web-test-access-key-7Qm2Xv9Lp4Rt"
# Short enough for the expiry test, long enough for the others.
TRANSACTION_TTL_SECONDS = 12
BACKENDS = {
    "python": REPO / "examples" / "web-python" / "run.sh",
    "kotlin": REPO / "examples" / "web-kotlin" / "run.sh",
}
# The backends this process tests (AUTHCLOUD_WEB_BACKENDS=python,kotlin; default both):
# tests/web/run.sh runs one process per backend, side by side. A test may still start
# another backend from BACKENDS (two processes, two languages, one database).
TESTED_BACKENDS = sorted(
    name for name in os.environ.get("AUTHCLOUD_WEB_BACKENDS", ",".join(BACKENDS)).split(",") if name
)
assert TESTED_BACKENDS and set(TESTED_BACKENDS) <= set(BACKENDS), f"AUTHCLOUD_WEB_BACKENDS: {TESTED_BACKENDS}"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class Backend:
    """A running example backend, with its log file and the secrets it must never log."""

    def __init__(self, name: str, process: subprocess.Popen, url: str, log_path: pathlib.Path) -> None:
        self.name = name
        self.process = process
        self.url = url
        self.log_path = log_path
        self.secrets: list[str] = [ACCESS_KEY]
        self.database: pathlib.Path | None = None
        self.emulator_url = ""

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_backend(name: str, log_dir: pathlib.Path, database: pathlib.Path, *extra: str,
                  label: str = "") -> Backend:
    """Starts `name`'s run.sh on any free port with its own embedded emulator, on `database`.
    The per-address push limit is raised unless `extra` sets it: every test browses from
    127.0.0.1, and the limit has a test of its own."""
    log_path = log_dir / f"{name}{label}-backend.log"
    env = dict(os.environ, AUTHCLOUD_ACCESS_KEY=ACCESS_KEY, PYTHONUNBUFFERED="1")
    env.pop("AUTHCLOUD_INSTANCE", None)
    env.pop("AUTHCLOUD_EXAMPLE_DATABASE", None)
    limits = [] if "--pushes-per-address" in extra else ["--pushes-per-address", "1000"]
    log = log_path.open("w")
    process = subprocess.Popen(
        [str(BACKENDS[name]), "--port", "0", "--transaction-ttl", str(TRANSACTION_TTL_SECONDS),
         "--database", str(database), *limits, *extra],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env=env,
        start_new_session=True,
    )
    # The first build of a backend (venv, Maven) may take minutes; after that, seconds.
    deadline = time.monotonic() + 600
    line = ""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 1.0)
        if ready:
            line = process.stdout.readline()
            break
        if process.poll() is not None:
            break
    if not line.startswith("listening on "):
        process.kill()
        raise AssertionError(f"{name} backend did not start: {line!r}\n{log_path.read_text()[-3000:]}")
    url = line.split()[-1]
    httpx.get(url + "/", timeout=10).raise_for_status()
    backend = Backend(name, process, url, log_path)
    backend.database = database
    # Both backends log their embedded emulator's address before they listen.
    found = re.search(r"embedded emulator: (http://\S+)", log_path.read_text())
    assert found, f"{name} backend did not log its emulator's address"
    backend.emulator_url = found.group(1)
    return backend


def stop_backend(backend: Backend) -> None:
    try:
        os.killpg(backend.process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        backend.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(backend.process.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def artifacts() -> pathlib.Path:
    path = REPO / "target" / "web-test"
    path.mkdir(parents=True, exist_ok=True)
    return path


def fresh_database(artifacts: pathlib.Path, name: str) -> pathlib.Path:
    """A database file of its own for one backend (and the processes that share it)."""
    path = artifacts / f"{name}-accounts.sqlite3"
    for stale in artifacts.glob(f"{name}-accounts.sqlite3*"):
        stale.unlink()
    return path


@pytest.fixture(scope="module", params=TESTED_BACKENDS)
def backend(request, artifacts):
    # One backend per test module, each with a log of its own (`python-backend.log` for
    # test_web_flow.py, `python-lost-phone-backend.log` for test_lost_phone.py).
    module = request.module.__name__.removeprefix("test_")
    label = "" if module == "web_flow" else "-" + module.replace("_", "-")
    started = start_backend(request.param, artifacts, fresh_database(artifacts, request.param + label), label=label)
    yield started
    stop_backend(started)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=os.environ.get("AUTHCLOUD_CHROMIUM", "/usr/bin/chromium"), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
