"""Log in with the registered phone (approval), and manage users — from Python."""

import asyncio

import pytest

import authcloud
from conftest import fast, requests_to

APPROVAL = "/api/v1/approval"


def registered(emulator, client, username):
    enrolled = client.enroll(username=username)
    emulator.approve(enrolled.enrollment.transaction_id)
    user = client.get_user(enrolled.user.user_id)
    assert user.status == "active" and len(user.authenticators) == 1
    return user


def test_register_then_log_in_by_push_then_verify(emulator, client):
    user = registered(emulator, client, "py-login")
    request = authcloud.ApprovalRequest(
        user_id=user.user_id, prompt=True, message="<html>Log in to <b>Acme</b>?</html>", notification_message="Acme login"
    )
    approval = client.approve(request)
    assert approval.qr_code is None and approval.app_link_uri is None
    pending = emulator.pending_approvals(user.user_id)
    assert [p.transaction_id for p in pending] == [approval.transaction_id]
    assert pending[0].message == "<html>Log in to <b>Acme</b>?</html>"
    emulator.approve(approval.transaction_id)
    outcome = client.wait_for_completion(approval.status_token, fast())
    assert outcome.succeeded
    verified = client.verify(approval.status_token, expected_user_id=user.user_id, expected_transaction_id=approval.transaction_id)
    assert verified.user_id == user.user_id
    assert client.get_user(user.user_id).last_login_success is not None
    assert len(requests_to(emulator, APPROVAL)) == 1


def test_asyncio_approval_with_status_updates(emulator, async_client, client):
    user = registered(emulator, client, "py-async-login")

    async def scenario():
        approval = await async_client.approve(authcloud.ApprovalRequest(username="py-async-login"))
        asyncio.get_running_loop().call_later(0.3, emulator.approve, approval.transaction_id)
        seen = [u.status.status async for u in async_client.status_updates(approval.status_token, fast())]
        assert seen[-1] == authcloud.TransactionStatus.SUCCEEDED
        return await async_client.verify(approval.status_token, expected_transaction_id=approval.transaction_id)

    assert asyncio.run(scenario()).user_id == user.user_id


def test_after_deleting_the_authenticator_an_approval_fails_clearly(emulator, client):
    user = registered(emulator, client, "py-lost-phone")
    authenticator_id = user.authenticators[0].authenticator_id
    assert client.delete_authenticator(authenticator_id) == authcloud.DeleteOutcome.DELETED
    assert client.delete_authenticator(authenticator_id) == authcloud.DeleteOutcome.NOT_FOUND
    with pytest.raises(authcloud.AuthCloudError.Api) as info:
        client.approve(authcloud.ApprovalRequest(user_id=user.user_id))
    assert info.value.http_status == 400
    assert str(info.value).startswith("400 Bad Request from POST /api/v1/approval")
    assert "authenticator" in str(info.value)


def test_message_rules_are_checked_before_sending(emulator, client):
    for message, named in [("<html><script>x</script></html>", "<script>"), ("<html><b class=x>y</b></html>", "`class`")]:
        with pytest.raises(authcloud.AuthCloudError.InvalidInput) as info:
            client.approve(authcloud.ApprovalRequest(username="u", prompt=True, message=message))
        assert info.value.field == "message" and named in info.value.reason
    for tag in ["b", "em", "i", "strong", "u"]:
        authcloud.validate_approval_message(f"<html>a <{tag}>b</{tag}> c</html>")
    authcloud.validate_approval_message("<html>one<br>two<br/>three</html>")
    with pytest.raises(authcloud.AuthCloudError.InvalidInput) as info:
        authcloud.validate_approval_message("Hello <html><b>x</b></html>")
    assert "before <html>" in info.value.reason
    assert not requests_to(emulator, APPROVAL)


def test_users_find_rename_delete_and_ping(emulator, client):
    user = registered(emulator, client, "py-managed")
    assert client.find_user("py-managed").user_id == user.user_id
    assert client.find_user("nobody-here") is None
    renamed = client.rename_authenticator(user.authenticators[0].authenticator_id, "Anna's phone")
    assert renamed is not None and renamed.name == "Anna's phone"
    assert client.delete_user(user.user_id) == authcloud.DeleteOutcome.DELETED
    with pytest.raises(authcloud.AuthCloudError.NotFound):
        client.get_user(user.user_id)
    client.ping()
