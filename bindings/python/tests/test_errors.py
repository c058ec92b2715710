"""Typed exceptions, and no secret in any repr() or str()."""

import authcloud
import pytest
from conftest import config_for

ENROLL = "/api/v1/users/enroll"
STATUS = "/api/v1/status"


def test_unauthorized(emulator):
    client = authcloud.Client(config_for(emulator, access_key=authcloud.Secret("wrong-key-0123456789")))
    with pytest.raises(authcloud.AuthCloudError.Unauthorized) as info:
        client.enroll(username="u")
    assert info.value.http_status == 401
    assert "wrong-key" not in repr(info.value) + str(info.value)


def test_not_found(client):
    with pytest.raises(authcloud.AuthCloudError.NotFound):
        client.enroll(user_id="7e16ba00-92e2-4fcb-b30e-1af8fdc843aa")


def test_rate_limited(emulator, client):
    emulator.inject_fault(ENROLL, authcloud.Fault.STATUS(status=429, retry_after_secs=120))
    with pytest.raises(authcloud.AuthCloudError.RateLimited) as info:
        client.enroll(username="u")
    assert info.value.retry_after_ms == 120_000


def test_timeout(emulator):
    client = authcloud.Client(config_for(emulator, request_timeout_ms=300))
    emulator.inject_fault(ENROLL, authcloud.Fault.DELAY(delay_ms=1500))
    with pytest.raises(authcloud.AuthCloudError.Timeout) as info:
        client.enroll(username="u")
    assert info.value.after_ms == 300
    assert len([r for r in emulator.requests() if r.path == ENROLL]) == 1, "enroll is not re-sent"


def test_wait_deadline(emulator, client):
    enrolled = client.enroll(username="u")
    with pytest.raises(authcloud.AuthCloudError.WaitTimedOut) as info:
        client.wait_for_completion(enrolled.enrollment.status_token, authcloud.WaitOptions(poll_interval_ms=100, timeout_ms=350))
    assert info.value.polls >= 3
    assert info.value.last_status == authcloud.TransactionStatus.PENDING


def test_non_json(emulator, client):
    emulator.inject_fault(ENROLL, authcloud.Fault.GARBAGE())
    with pytest.raises(authcloud.AuthCloudError.MalformedResponse):
        client.enroll(username="u")


def test_truncated(emulator, client):
    emulator.inject_fault(ENROLL, authcloud.Fault.TRUNCATED())
    with pytest.raises(authcloud.AuthCloudError.Network):
        client.enroll(username="u")


def test_oversized(emulator, client):
    emulator.inject_fault(ENROLL, authcloud.Fault.OVERSIZED(size_bytes=4 * 1024 * 1024))
    with pytest.raises(authcloud.AuthCloudError.ResponseTooLarge) as info:
        client.enroll(username="u")
    assert info.value.limit_bytes == 1024 * 1024


def test_bad_configuration_and_input():
    with pytest.raises(authcloud.AuthCloudError.Configuration):
        authcloud.Client(authcloud.ClientConfig(instance="not a dns label"))
    with pytest.raises(authcloud.AuthCloudError.Configuration):
        authcloud.Client(authcloud.ClientConfig(base_url="http://example.com"))
    client = authcloud.Client(authcloud.ClientConfig(instance="acme", access_key=authcloud.Secret("k")))
    with pytest.raises(authcloud.AuthCloudError.InvalidInput):
        client.enroll(username="has spaces")


def test_a_rust_panic_is_an_exception(emulator):
    with pytest.raises(authcloud.InternalError):
        emulator.simulate_sdk_panic()
    assert emulator.base_url().startswith("http://127.0.0.1:")


def test_no_secret_in_any_repr_or_str(emulator):
    key = emulator.access_key()
    config = config_for(emulator)
    client = authcloud.Client(config)
    enrolled = client.enroll(username="secretive")
    emulator.approve(enrolled.enrollment.transaction_id)
    status = client.status(enrolled.enrollment.status_token)
    intent = client.create_intent(authcloud.IntentOperation.ENROLL, username="secretive")
    device_config = authcloud.ClientConfig(base_url=emulator.base_url(), intent_token=intent)
    device = authcloud.Client(device_config)
    async_client = authcloud.AsyncClient(config)

    errors = []
    for call in (
        lambda: authcloud.Client(config_for(emulator, access_key=authcloud.Secret("wrong-key-0123456789"))).enroll(username="u"),
        lambda: device.introspect(enrolled.enrollment.status_token),
        lambda: device.enroll(username="someone-else"),
        lambda: client.enroll(user_id="7e16ba00-92e2-4fcb-b30e-1af8fdc843aa"),
    ):
        try:
            call()
        except authcloud.AuthCloudError as e:
            errors.append(e)
    assert len(errors) == 4

    secrets = [
        key.reveal(),
        enrolled.enrollment.status_token.reveal(),
        status.token.reveal(),
        intent.reveal(),
        "wrong-key-0123456789",
        # The deep link's dispatch token lets whoever opens it complete the registration.
        enrolled.enrollment.app_link_uri.reveal().split("dispatchTokenResponse=")[1],
    ]
    shown = [config, device_config, client, device, async_client, key, intent, status, enrolled.enrollment.status_token]
    shown += [enrolled, enrolled.enrollment, enrolled.enrollment.qr_code, enrolled.enrollment.app_link_uri]
    shown += errors
    for thing in shown:
        for text in (repr(thing), str(thing)):
            for secret in secrets:
                assert secret not in text, f"{type(thing).__name__} shows a secret: {text}"
    assert "[redacted]" in str(config)
