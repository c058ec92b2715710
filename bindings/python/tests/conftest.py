"""Fixtures: an emulator started from Python, and clients aimed at it."""

import os
import pathlib
import struct
import zlib

import pytest

import authcloud

STATUS_PATH = "/api/v1/status"

# Under instruction-set emulation (scripts/linux-aarch64.sh runs this suite on an arm64
# Python under qemu-aarch64 and sets AUTHCLOUD_UNDER_EMULATION) code runs several times
# slower: load tests multiply their wall-clock budgets by this, and still assert every
# outcome. Deadlines that test the SDK's own timing (a cancel ends a wait at once) do not.
SLOWDOWN = 10 if os.environ.get("AUTHCLOUD_UNDER_EMULATION") else 1


@pytest.fixture
def emulator():
    emu = authcloud.Emulator.start()
    yield emu
    emu.stop()


def config_for(emu, **overrides):
    """A config for the emulator with fast retries (tests should not sleep for seconds)."""
    settings = dict(
        base_url=emu.base_url(),
        access_key=emu.access_key(),
        initial_backoff_ms=10,
        max_backoff_ms=50,
        request_timeout_ms=2000,
    )
    settings.update(overrides)
    return authcloud.ClientConfig(**settings)


@pytest.fixture
def client(emulator):
    return authcloud.Client(config_for(emulator))


@pytest.fixture
def async_client(emulator):
    return authcloud.AsyncClient(config_for(emulator))


def fast(poll_ms=100, timeout_ms=10_000):
    return authcloud.WaitOptions(poll_interval_ms=poll_ms, timeout_ms=timeout_ms)


GUIDE = pathlib.Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "guide"


def guide_body(name):
    """One of the guide's literal example bodies, verbatim."""
    return (GUIDE / f"{name}.json").read_text()


def requests_to(emu, path):
    return [r for r in emu.requests() if r.path == path]


def decode_png(data: bytes):
    """Decodes a PNG far enough to prove it is one: its size and every pixel row."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "PNG signature"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        crc = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])[0]
        assert zlib.crc32(kind + body) == crc, f"CRC of {kind!r}"
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour = header[:4]
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    raw = zlib.decompress(idat)
    assert len(raw) == height * (1 + (width * channels * depth + 7) // 8)
    return width, height


class Recorder(authcloud.WaitObserver):
    """Records every callback, in order."""

    def __init__(self):
        self.events = []

    def on_status(self, update):
        self.events.append(("status", update.poll, update.status.status))

    def on_transient_error(self, error, retry_in_ms):
        self.events.append(("transient", type(error).__name__, retry_in_ms))

    def on_finished(self, outcome):
        self.events.append(("finished", outcome.succeeded))

    def on_failed(self, error):
        self.events.append(("failed", type(error).__name__))
