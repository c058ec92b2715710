"""Backends of the web examples, started as a user starts them (run.sh --port 0), and a
headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import os
import pathlib
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

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_backend(name: str, log_dir: pathlib.Path) -> Backend:
    log_path = log_dir / f"{name}-backend.log"
    env = dict(os.environ, AUTHCLOUD_ACCESS_KEY=ACCESS_KEY, PYTHONUNBUFFERED="1")
    env.pop("AUTHCLOUD_INSTANCE", None)
    log = log_path.open("w")
    process = subprocess.Popen(
        [str(BACKENDS[name]), "--port", "0", "--transaction-ttl", str(TRANSACTION_TTL_SECONDS)],
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
    return Backend(name, process, url, log_path)


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


@pytest.fixture(scope="module", params=sorted(BACKENDS))
def backend(request, artifacts):
    started = start_backend(request.param, artifacts)
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
