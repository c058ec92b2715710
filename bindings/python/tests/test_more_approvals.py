"""SMS, usernameless and any-authenticator approvals, the push limit, and the log export —
from Python, blocking and asyncio, against the emulator."""

import asyncio

import pytest

import authcloud
from conftest import config_for, fast, requests_to

APPROVAL = "/api/v1/approval"
EXPORT = "/api/v1/logs/export"


def with_app(emulator, client, username):
    enrolled = client.enroll(username=username)
    emulator.approve(enrolled.enrollment.transaction_id)
    return enrolled.user.user_id


def with_phone(emulator, client, username):
    enrolled = client.enroll_sms("+41791234567", username=username)
    user_id = enrolled.user.user_id
    code = emulator.sms_messages_to(user_id)[-1].code
    check = authcloud.CodeCheck.SMS(status_token=enrolled.status_token, code=authcloud.Secret(code))
    assert client.verify_code(user_id, check) == authcloud.CodeVerdict.CORRECT
    return user_id


def test_an_sms_approval_is_decided_by_the_code(emulator, client):
    user_id = with_phone(emulator, client, "py-sms-login")
    request = authcloud.ApprovalRequest(
        user_id=user_id, channel=authcloud.ApprovalChannel.SMS, message="Acme login {{CODE}}"
    )
    approval = client.approve(request)
    assert approval.qr_code is None
    sms = emulator.sms_messages_to(user_id)[-1]
    assert sms.text == f"Acme login {sms.code}"
    assert client.status(approval.status_token).status == authcloud.TransactionStatus.PENDING
    check = authcloud.CodeCheck.SMS(status_token=approval.status_token, code=authcloud.Secret(sms.code))
    assert client.verify_code(user_id, check) == authcloud.CodeVerdict.CORRECT
    verified = client.verify(approval.status_token, expected_user_id=user_id, expected_transaction_id=approval.transaction_id)
    assert verified.user_id == user_id


def test_a_usernameless_approval_names_the_user_once_approved(emulator, client):
    with_app(emulator, client, "py-bystander")
    user_id = with_app(emulator, client, "py-scanner")
    approval = client.approve(authcloud.ApprovalRequest(usernameless=True))
    assert approval.app_link_uri is not None and approval.app_link_uri.href().startswith(emulator.base_url())
    pending = client.status(approval.status_token)
    assert pending.status == authcloud.TransactionStatus.PENDING and pending.user_id is None
    emulator.approve_as(approval.transaction_id, user_id)
    outcome = client.wait_for_completion(approval.status_token, fast())
    assert outcome.succeeded and outcome.status.user_id == user_id and outcome.status.username == "py-scanner"
    assert client.verify(approval.status_token, expected_transaction_id=approval.transaction_id).user_id == user_id


def test_any_of_the_users_apps_may_approve(emulator, client):
    user_id = with_app(emulator, client, "py-two-phones")
    second = client.enroll(user_id=user_id)
    emulator.approve(second.enrollment.transaction_id)
    request = authcloud.ApprovalRequest(user_id=user_id, channel=authcloud.ApprovalChannel.APP, authenticator_id="*")
    approval = client.approve(request)
    emulator.approve(approval.transaction_id)
    assert client.verify(approval.status_token, expected_user_id=user_id).user_id == user_id


def test_a_user_pushed_past_the_limit_shows_exceeded_rate_limits():
    emu = authcloud.Emulator.start(authcloud.EmulatorOptions(push_limit=authcloud.RateLimit(max=2, period_ms=3_600_000)))
    try:
        client = authcloud.Client(config_for(emu))
        user_id = with_app(emu, client, "py-pushed")
        assert client.get_user(user_id).exceeded_rate_limits == []
        for _ in range(2):
            client.approve(authcloud.ApprovalRequest(user_id=user_id))
        assert client.get_user(user_id).exceeded_rate_limits == ["push"]
        with pytest.raises(authcloud.AuthCloudError.RateLimited):
            client.approve(authcloud.ApprovalRequest(user_id=user_id))
        assert len(requests_to(emu, APPROVAL)) == 3
    finally:
        emu.stop()


def test_bad_approvals_are_refused_before_anything_is_sent(emulator, client):
    sms = authcloud.ApprovalChannel.SMS
    for request, field in [
        (authcloud.ApprovalRequest(username="x", channel=sms, message="no placeholder"), "message"),
        (authcloud.ApprovalRequest(username="x", channel=sms, message="K\u00f3d {{CODE}} \u2713"), "message"),
        (authcloud.ApprovalRequest(username="u" * 301), "username"),
        (authcloud.ApprovalRequest(username="x", authenticator_id="*"), "authenticatorId"),
        (authcloud.ApprovalRequest(usernameless=True, channel=authcloud.ApprovalChannel.PUSH), "username"),
    ]:
        with pytest.raises(authcloud.AuthCloudError.InvalidInput) as info:
            client.approve(request)
        assert info.value.field == field, request
    assert requests_to(emulator, APPROVAL) == []


def test_log_export_with_two_filters_returns_exactly_the_matching_rows(emulator, client):
    user_ids = [with_app(emulator, client, name) for name in ("py-log-anna", "py-log-bert")]
    declined = client.approve(authcloud.ApprovalRequest(user_id=user_ids[0]))
    emulator.deny(declined.transaction_id)
    approved = client.approve(authcloud.ApprovalRequest(user_id=user_ids[1]))
    emulator.approve(approved.transaction_id)

    everything = client.export_logs().events
    expected = [e for e in everything if e.category == "approval" and e.status == "failure"]
    assert expected, "the declined login is logged"
    query = authcloud.LogQuery(categories=["approval"], statuses=["failure"], timespan_seconds=3600)
    rows = client.export_logs(query).events
    assert rows == expected
    assert {e.user_id for e in rows} == {user_ids[0]}
    assert [e.timestamp for e in everything] == sorted((e.timestamp for e in everything), reverse=True)

    with pytest.raises(authcloud.AuthCloudError.InvalidInput) as info:
        client.export_logs(authcloud.LogQuery(filter="a"))
    assert info.value.field == "filter"
    assert len([r for r in emulator.requests() if r.path.startswith(EXPORT)]) == 2


def test_the_async_client_exports_and_approves_by_sms(emulator, async_client, client):
    user_id = with_phone(emulator, client, "py-async-sms-login")

    async def flow():
        request = authcloud.ApprovalRequest(user_id=user_id, channel=authcloud.ApprovalChannel.SMS)
        approval = await async_client.approve(request)
        code = emulator.sms_messages_to(user_id)[-1].code
        check = authcloud.CodeCheck.SMS(status_token=approval.status_token, code=authcloud.Secret(code))
        assert await async_client.verify_code(user_id, check) == authcloud.CodeVerdict.CORRECT
        export = await async_client.export_logs(authcloud.LogQuery(channels=["sms"]))
        assert export.events and all(e.channel == "sms" for e in export.events)

    asyncio.run(flow())
