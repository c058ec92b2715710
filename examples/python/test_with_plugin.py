"""Testing your own code against authcloud with the pytest plugin that ships in the wheel.

No conftest needed: `pip install authcloud pytest`, then `pytest` finds the fixtures
authcloud_emulator (reset before each test), authcloud_client and authcloud_async_client.
"""

import asyncio

import authcloud


def register(client: authcloud.Client, username: str) -> authcloud.EnrollResult:
    """The code under test: a registration as your app would start it."""
    return client.enroll(username=username)


def test_a_registration_the_phone_approves(authcloud_emulator: authcloud.Emulator, authcloud_client: authcloud.Client) -> None:
    enrolled = register(authcloud_client, "u12345")
    authcloud_emulator.approve(enrolled.enrollment.transaction_id)  # the user confirms
    outcome = authcloud_client.wait_for_completion(enrolled.enrollment.status_token)
    assert outcome.succeeded
    user = authcloud_client.verify(enrolled.enrollment.status_token, expected_user_id=enrolled.user.user_id)
    assert user.username == "u12345"


def test_the_emulator_is_reset_between_tests(authcloud_emulator: authcloud.Emulator) -> None:
    assert authcloud_emulator.requests() == []


def test_a_flaky_cloud(authcloud_emulator: authcloud.Emulator, authcloud_client: authcloud.Client) -> None:
    authcloud_emulator.inject_fault("/api/v1/status", authcloud.Fault.STATUS(status=503, retry_after_secs=None))
    enrolled = authcloud_client.enroll(username="flaky")
    assert authcloud_client.status(enrolled.enrollment.status_token).status == authcloud.TransactionStatus.PENDING


def test_with_asyncio(authcloud_emulator: authcloud.Emulator, authcloud_async_client: authcloud.AsyncClient) -> None:
    async def flow() -> authcloud.WaitOutcome:
        enrolled = await authcloud_async_client.enroll(username="aio")
        authcloud_emulator.deny(enrolled.enrollment.transaction_id)
        return await authcloud_async_client.wait_for_completion(enrolled.enrollment.status_token)

    assert asyncio.run(flow()).status.status == authcloud.TransactionStatus.FAILED
