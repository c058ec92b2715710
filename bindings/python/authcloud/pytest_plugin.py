"""pytest fixtures for testing code that uses authcloud, against the emulator in the wheel.

Registered automatically (entry point ``pytest11``) wherever authcloud is installed:

    def test_my_registration(authcloud_emulator, authcloud_client):
        enrolled = authcloud_client.enroll(username="u1")
        authcloud_emulator.approve(enrolled.enrollment.transaction_id)   # the phone says yes
        assert authcloud_client.wait_for_completion(enrolled.enrollment.status_token).succeeded

- ``authcloud_emulator``: a running ``authcloud.Emulator``, shared by the session and
  reset (users, transactions, faults, request log) before each test;
- ``authcloud_config``: a ``ClientConfig`` for it (access key, short retry back-offs);
- ``authcloud_client`` / ``authcloud_async_client``: clients bound to it.
"""

from __future__ import annotations

import typing

import pytest

import authcloud


@pytest.fixture(scope="session")
def _authcloud_emulator_session() -> typing.Iterator[authcloud.Emulator]:
    emulator = authcloud.Emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def authcloud_emulator(_authcloud_emulator_session: authcloud.Emulator) -> authcloud.Emulator:
    """A running emulator with nothing in it: reset before each test."""
    _authcloud_emulator_session.reset()
    return _authcloud_emulator_session


@pytest.fixture
def authcloud_config(authcloud_emulator: authcloud.Emulator) -> authcloud.ClientConfig:
    """A client configuration for the emulator, with back-offs short enough for tests."""
    return authcloud.ClientConfig(
        base_url=authcloud_emulator.base_url(),
        access_key=authcloud_emulator.access_key(),
        initial_backoff_ms=10,
        max_backoff_ms=50,
    )


@pytest.fixture
def authcloud_client(authcloud_config: authcloud.ClientConfig) -> authcloud.Client:
    """A blocking client bound to ``authcloud_emulator``."""
    return authcloud.Client(authcloud_config)


@pytest.fixture
def authcloud_async_client(authcloud_config: authcloud.ClientConfig) -> authcloud.AsyncClient:
    """An asyncio client bound to ``authcloud_emulator``."""
    return authcloud.AsyncClient(authcloud_config)
