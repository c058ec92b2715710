"""The guide's flow from Python: sync and asyncio, against the emulator."""

import asyncio
import subprocess
import sys
import threading
import time

import authcloud
from conftest import SLOWDOWN, config_for, decode_png, fast


def test_sync_flow(emulator, client):
    enrolled = client.enroll(username="py-user")
    assert enrolled.user.username == "py-user"
    assert enrolled.user.status == "new"
    assert enrolled.enrollment.app_link_uri.reveal().startswith(emulator.base_url() + "/open?")
    assert decode_png(enrolled.enrollment.qr_code.png()) == (300, 300)
    assert enrolled.enrollment.qr_code.data_uri().startswith("data:image/png;base64,")
    token = enrolled.enrollment.status_token

    assert client.status(token).status == authcloud.TransactionStatus.PENDING
    threading.Timer(0.2, emulator.approve, [enrolled.enrollment.transaction_id]).start()
    outcome = client.wait_for_completion(token, fast())
    assert outcome.succeeded and outcome.polls >= 2
    assert outcome.status.status == authcloud.TransactionStatus.SUCCEEDED

    verified = client.verify(token)
    assert verified.user_id == enrolled.user.user_id
    assert verified.introspection.active
    assert verified.introspection.sub == enrolled.user.user_id

    introspection = client.introspect(outcome.status.token)
    assert introspection.active and introspection.aud == ["api"]
    assert not client.introspect(authcloud.Secret("not-a-token")).active


def test_asyncio_flow(emulator, async_client):
    async def flow():
        enrolled = await async_client.enroll(username="aio-user")
        assert decode_png(enrolled.enrollment.qr_code.png()) == (300, 300)
        token = enrolled.enrollment.status_token
        asyncio.get_running_loop().call_later(0.2, emulator.approve, enrolled.enrollment.transaction_id)
        outcome = await async_client.wait_for_completion(token, fast())
        assert outcome.succeeded
        verified = await async_client.verify(token)
        assert verified.user_id == enrolled.user.user_id
        introspection = await async_client.introspect(outcome.status.token)
        assert introspection.active
        return verified

    assert asyncio.run(flow()).username == "aio-user"


def test_hundred_concurrent_enrollments_and_waits():
    emu = authcloud.Emulator.start(authcloud.EmulatorOptions(auto_approve_after_ms=300))
    client = authcloud.AsyncClient(config_for(emu, request_timeout_ms=2000 * SLOWDOWN))

    async def one(i):
        enrolled = await client.enroll(username=f"user-{i}")
        outcome = await client.wait_for_completion(enrolled.enrollment.status_token, fast(poll_ms=100))
        return outcome.succeeded

    async def all_of_them():
        return await asyncio.gather(*(one(i) for i in range(100)))

    started = time.monotonic()
    results = asyncio.run(all_of_them())
    assert results == [True] * 100
    assert time.monotonic() - started < 20 * SLOWDOWN
    emu.stop()


def test_intent_token_for_a_device(emulator, client):
    intent = client.create_intent(authcloud.IntentOperation.ENROLL, username="phone")
    device = authcloud.Client(authcloud.ClientConfig(base_url=emulator.base_url(), intent_token=intent))
    enrolled = device.enroll(username="phone")
    assert enrolled.user.username == "phone"
    try:
        device.introspect(enrolled.enrollment.status_token)
        raise AssertionError("a device must not introspect")
    except authcloud.AuthCloudError.Configuration as e:
        assert "access key" in str(e)


def test_a_released_emulator_closes_its_port() -> None:
    # In a process of its own: here other emulators keep the SDK's runtime busy anyway.
    script = """
import gc, socket, sys
import authcloud
emu = authcloud.Emulator.start()
port = int(emu.base_url().rsplit(":", 1)[1])
del emu
gc.collect()
try:
    socket.create_connection(("127.0.0.1", port), timeout=5).close()
except ConnectionRefusedError:
    sys.exit(0)
sys.exit("the port still accepts connections")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
