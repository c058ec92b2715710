"""Python idioms: str tokens, errors that read as sentences, logging, iterators."""

import asyncio
import logging
import threading
import time

import pytest

import authcloud
from conftest import STATUS_PATH, config_for, fast, requests_to

ENROLL = "/api/v1/users/enroll"


def test_tokens_and_keys_may_be_plain_strings(emulator):
    config = authcloud.ClientConfig(base_url=emulator.base_url(), access_key=emulator.access_key().reveal())
    client = authcloud.Client(config)
    enrolled = client.enroll(username="strings")
    token = enrolled.enrollment.status_token.reveal()  # e.g. kept in a web session
    assert client.status(token).status == authcloud.TransactionStatus.PENDING
    emulator.approve(enrolled.enrollment.transaction_id)
    assert client.wait_for_completion(token, fast()).succeeded
    verified = client.verify(token, expected_user_id=enrolled.user.user_id)
    assert verified.user_id == enrolled.user.user_id
    assert client.introspect(client.status(token).token.reveal()).active
    with pytest.raises(TypeError, match="status_token must be a str or an authcloud.Secret"):
        client.status(42)

    async def flow():
        async_client = authcloud.AsyncClient(config)
        status = await async_client.status(token)
        return (await async_client.verify(token)).user_id, status.status

    assert asyncio.run(flow()) == (enrolled.user.user_id, authcloud.TransactionStatus.SUCCEEDED)


def sentence(error, starts, *contains):
    text = str(error)
    assert text.startswith(starts), text
    for part in contains:
        assert part in text, text
    assert "=" not in text.split(" — ")[0] or "max_response_bytes" in text, f"a field dump? {text}"
    return text


def test_every_error_reads_as_a_sentence_with_a_kind(emulator, client):
    key = emulator.access_key().reveal()
    enrolled = client.enroll(username="errors")
    token = enrolled.enrollment.status_token
    seen = {}

    def record(call):
        with pytest.raises(authcloud.AuthCloudError) as info:
            call()
        seen[info.value.kind()] = info.value
        return info.value

    record(lambda: authcloud.Client(authcloud.ClientConfig(instance="Not A Label")))
    record(lambda: client.enroll(username="has space"))
    record(lambda: authcloud.Client(authcloud.ClientConfig(base_url="http://127.0.0.1:9", access_key=key, max_attempts=1)).status(token))
    slow = authcloud.Client(config_for(emulator, request_timeout_ms=200))
    emulator.inject_fault(ENROLL, authcloud.Fault.DELAY(delay_ms=1000))
    record(lambda: slow.enroll(username="slow"))
    record(lambda: authcloud.Client(config_for(emulator, access_key="wrong-key-0123456789")).enroll(username="u"))
    record(lambda: client.enroll(user_id="7e16ba00-92e2-4fcb-b30e-1af8fdc843aa"))
    emulator.inject_fault(ENROLL, authcloud.Fault.STATUS(status=429, retry_after_secs=120))
    record(lambda: client.enroll(username="u"))
    emulator.inject_fault(ENROLL, authcloud.Fault.STATUS(status=500, retry_after_secs=None))
    record(lambda: client.enroll(username="u"))
    emulator.inject_fault(ENROLL, authcloud.Fault.JSON(status=400, body_json='{"message": "channel is not supported"}'))
    record(lambda: client.enroll(username="u"))
    emulator.inject_fault(STATUS_PATH, authcloud.Fault.GARBAGE())
    record(lambda: client.status(token))
    emulator.inject_fault(STATUS_PATH, authcloud.Fault.OVERSIZED(size_bytes=2 * 1024 * 1024))
    record(lambda: client.status(token))
    record(lambda: client.wait_for_completion(token, authcloud.WaitOptions(poll_interval_ms=100, timeout_ms=300)))
    cancel = authcloud.CancelToken()
    cancel.cancel()
    record(lambda: client.wait_for_completion(token, fast(), cancel=cancel))
    record(lambda: client.verify(token))

    sentence(seen["configuration"], "invalid client configuration: instance name")
    sentence(seen["invalid_input"], "invalid username:", "nothing was sent")
    sentence(seen["network"], "network error on POST /api/v1/status:", "check the network")
    sentence(seen["timeout"], "POST /api/v1/users/enroll timed out after 200ms")
    sentence(seen["unauthorized"], "401 Unauthorized from POST /api/v1/users/enroll", "check AUTHCLOUD_ACCESS_KEY")
    sentence(seen["not_found"], "404 Not Found from POST /api/v1/users/enroll")
    sentence(seen["rate_limited"], "429 Too Many Requests from POST /api/v1/users/enroll", "retry after 2m 0s")
    sentence(seen["server"], "500 Internal Server Error from POST /api/v1/users/enroll", "retry later")
    sentence(seen["api"], "400 Bad Request from POST /api/v1/users/enroll: channel is not supported")
    sentence(seen["malformed_response"], "unexpected answer from POST /api/v1/status")
    sentence(seen["response_too_large"], "the answer of POST /api/v1/status is larger than")
    sentence(seen["wait_timed_out"], "gave up waiting after", "(last status: pending)")
    sentence(seen["cancelled"], "cancelled by the caller")
    sentence(seen["not_verified"], "not verified (status_succeeded)")
    # Every kind the library lists but `tls` (the TLS tests produce it) and `internal` (no call can).
    assert set(seen) == set(authcloud.error_kinds()) - {"tls", "internal"}, sorted(seen)

    # Typed fields stay; transience and the endpoint are there to branch on.
    assert seen["unauthorized"].http_status == 401 and seen["unauthorized"].endpoint == "POST /api/v1/users/enroll"
    assert seen["rate_limited"].retry_after_ms == 120_000
    assert [k for k, e in sorted(seen.items()) if e.is_transient()] == ["network", "rate_limited", "server", "timeout"]
    for error in seen.values():
        for secret in (key, token.reveal(), "wrong-key-0123456789"):
            assert secret not in str(error) and secret not in repr(error)


def test_enable_logging_routes_records_to_the_logging_module(emulator, client, caplog):
    caplog.set_level(logging.DEBUG, logger="authcloud")
    authcloud.enable_logging(logging.DEBUG)
    try:
        enrolled = client.enroll(username="logged")
        client.status(enrolled.enrollment.status_token)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not any(r.name == "authcloud.http" for r in caplog.records):
            time.sleep(0.02)
    finally:
        authcloud.disable_logging()
    http = [r for r in caplog.records if r.name == "authcloud.http"]
    assert any("operation=enroll" in r.getMessage() and "status=201" in r.getMessage() for r in http), caplog.text
    assert {r.levelno for r in http} <= {logging.DEBUG, logging.INFO, logging.WARNING}
    assert enrolled.enrollment.status_token.reveal() not in caplog.text
    assert emulator.access_key().reveal() not in caplog.text


def test_async_for_status_updates_and_cancelling_the_consumer(emulator, async_client):
    async def scenario():
        enrolled = await async_client.enroll(username="async-for")
        asyncio.get_running_loop().call_later(0.35, emulator.approve, enrolled.enrollment.transaction_id)
        seen = [update.status.status async for update in async_client.status_updates(enrolled.enrollment.status_token, fast())]
        assert seen[-1] == authcloud.TransactionStatus.SUCCEEDED and len(seen) >= 3

        pending = await async_client.enroll(username="async-cancel")

        async def consume():
            async for _ in async_client.status_updates(pending.enrollment.status_token, fast()):
                pass

        task = asyncio.ensure_future(consume())
        await asyncio.sleep(0.35)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    time.sleep(0.15)
    polls = len(requests_to(emulator, STATUS_PATH))
    time.sleep(0.4)
    assert len(requests_to(emulator, STATUS_PATH)) == polls, "no poll after the consumer was cancelled"


def test_blocking_status_updates_stop_when_the_loop_is_left(emulator, client):
    enrolled = client.enroll(username="for-loop")
    first = []
    for update in client.status_updates(enrolled.enrollment.status_token, fast()):
        first.append(update.poll)
        if len(first) == 3:
            break
    assert first == [1, 2, 3]
    time.sleep(0.15)
    polls = len(requests_to(emulator, STATUS_PATH))
    time.sleep(0.4)
    assert len(requests_to(emulator, STATUS_PATH)) == polls
    # A wait that ends with an error raises it from the loop.
    with pytest.raises(authcloud.AuthCloudError.WaitTimedOut):
        for _ in client.status_updates(enrolled.enrollment.status_token, authcloud.WaitOptions(poll_interval_ms=100, timeout_ms=250)):
            pass
    threading.Timer(0.2, emulator.approve, [enrolled.enrollment.transaction_id]).start()
    assert [u.status.status for u in client.status_updates(enrolled.enrollment.status_token, fast())][-1] == (
        authcloud.TransactionStatus.SUCCEEDED
    )
