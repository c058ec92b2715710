"""``enable_logging()`` behaves like Python's own logging: a call's records arrive before it
returns, and the loggers' levels decide when they change, not when logging was enabled."""

import asyncio
import logging

import pytest

import authcloud

SDK_LOGGER = logging.getLogger("authcloud")


@pytest.fixture
def sdk_logging():
    authcloud.enable_logging()  # the default: the loggers' levels decide, record by record
    yield
    authcloud.disable_logging()
    SDK_LOGGER.setLevel(logging.NOTSET)


def http_debug(records, operation):
    return [
        r
        for r in records
        if r.name == "authcloud.http" and r.levelno == logging.DEBUG and f"operation={operation}" in r.getMessage()
    ]


def test_caplog_at_level_captures_a_calls_records_inside_the_block(emulator, client, caplog, sdk_logging):
    with caplog.at_level(logging.DEBUG, logger="authcloud"):
        client.enroll(username="inside-the-block")
        # No waiting: the records were handed over before `enroll` returned.
        inside = http_debug(caplog.records, "enroll")
    assert inside, caplog.text
    assert "status=201" in inside[0].getMessage()


def test_a_level_changed_after_enabling_takes_effect(emulator, client, caplog, sdk_logging):
    caplog.set_level(logging.DEBUG)  # the capture handler takes everything it is given
    SDK_LOGGER.setLevel(logging.WARNING)
    client.enroll(username="quiet")
    assert not http_debug(caplog.records, "enroll"), "WARNING lets no debug line through"
    SDK_LOGGER.setLevel(logging.DEBUG)
    client.ping()
    assert http_debug(caplog.records, "ping"), "DEBUG, set later, lets them through"
    SDK_LOGGER.setLevel(logging.INFO)
    caplog.clear()
    client.ping()
    assert not http_debug(caplog.records, "ping"), "and going back is honoured too"


def test_an_async_calls_records_arrive_before_its_await_returns(emulator, async_client, caplog, sdk_logging):
    async def scenario():
        with caplog.at_level(logging.DEBUG, logger="authcloud"):
            await async_client.enroll(username="async-inside")
            return http_debug(caplog.records, "enroll")

    assert asyncio.run(scenario()), caplog.text


def test_records_carry_no_secret(emulator, client, caplog, sdk_logging):
    with caplog.at_level(logging.DEBUG, logger="authcloud"):
        enrolled = client.enroll(username="secret-free")
        client.status(enrolled.enrollment.status_token)
    assert http_debug(caplog.records, "status")
    for secret in (emulator.access_key().reveal(), enrolled.enrollment.status_token.reveal()):
        assert secret not in caplog.text
