"""The last ways to lose an operation (issue 18, part 5), from Python against the emulator:
an enroll or approval answer without its ids keeps its status token, a request with effects
is not sent with too little time left after waiting for a request slot, and an approval is
re-sent after a 503 only when it carries Retry-After. Every test runs under a deadline, so a
hang fails instead of stalling the suite."""

import json
import threading
import time

import pytest

import authcloud
from conftest import SLOWDOWN, STATUS_PATH, config_for, fast, requests_to

ENROLL = "/api/v1/users/enroll"
APPROVAL = "/api/v1/approval"
DEADLINE_S = 30


def within(seconds, scenario):
    """Runs `scenario()` on a daemon thread and fails the test if it has not ended after
    `seconds` (a hung native call cannot be interrupted, but it no longer stalls pytest)."""
    outcome = {}

    def run():
        try:
            outcome["value"] = scenario()
        except BaseException as error:  # re-raised on the test's thread
            outcome["error"] = error

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        pytest.fail(f"hung: not done after {seconds} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def registered(emulator, client, username):
    enrolled = client.enroll(username=username)
    emulator.approve(enrolled.enrollment.transaction_id)
    return enrolled.user.user_id


def partial_enroll_answer(client, drop):
    """A real enrollment's answer without the fields in `drop`: its status token is genuine."""
    real = client.enroll(username="py-partial")
    enrollment = {
        "transactionId": real.enrollment.transaction_id,
        "statusToken": real.enrollment.status_token.reveal(),
        "appLinkUri": real.enrollment.app_link_uri.reveal(),
    }
    body = {"userId": real.user.user_id, "username": "py-partial", "status": "new", "enrollment": enrollment}
    for field in drop:
        body.pop(field, None)
        enrollment.pop(field, None)
    return real, json.dumps(body)


@pytest.mark.parametrize("drop", [["transactionId"], ["userId"], ["transactionId", "userId"]])
def test_an_enroll_answer_without_its_ids_takes_them_from_status(emulator, client, drop):
    def scenario():
        real, body = partial_enroll_answer(client, drop)
        emulator.inject_fault(ENROLL, authcloud.Fault.JSON(status=201, body_json=body))
        lookups = len(requests_to(emulator, STATUS_PATH))
        enrolled = client.enroll(username="py-partial")
        assert not enrolled.ids_missing
        assert enrolled.enrollment.transaction_id == real.enrollment.transaction_id
        assert enrolled.user.user_id == real.user.user_id
        assert enrolled.enrollment.status_token.reveal() == real.enrollment.status_token.reveal()
        assert len(requests_to(emulator, STATUS_PATH)) == lookups + 1, "one status lookup"

    within(DEADLINE_S, scenario)


def test_an_enroll_answer_without_ids_keeps_its_token_when_status_fails_too(emulator, client):
    def scenario():
        real, body = partial_enroll_answer(client, ["transactionId", "userId"])
        emulator.inject_fault(ENROLL, authcloud.Fault.JSON(status=201, body_json=body))
        emulator.inject_fault(STATUS_PATH, authcloud.Fault.STATUS(status=500, retry_after_secs=None))
        enrolled = client.enroll(username="py-partial")
        assert enrolled.ids_missing
        assert enrolled.enrollment.transaction_id == "" and enrolled.user.user_id == ""
        token = enrolled.enrollment.status_token
        assert token.reveal() == real.enrollment.status_token.reveal(), "the status token is kept"
        # The registration goes on with the token alone.
        emulator.approve(real.enrollment.transaction_id)
        outcome = client.wait_for_completion(token, fast())
        assert outcome.succeeded and outcome.status.transaction_id == real.enrollment.transaction_id
        assert client.verify(token).user_id == real.user.user_id
        # An empty id never matches: binding to it refuses.
        with pytest.raises(authcloud.AuthCloudError.NotVerified):
            client.verify(token, expected_transaction_id=enrolled.enrollment.transaction_id)

    within(DEADLINE_S, scenario)


def test_an_approval_answer_without_its_transaction_id_is_completed_or_kept(emulator, client):
    def scenario():
        user_id = registered(emulator, client, "py-partial-login")
        request = authcloud.ApprovalRequest(user_id=user_id)
        real = client.approve(request)
        body = json.dumps({"statusToken": real.status_token.reveal()})

        emulator.inject_fault(APPROVAL, authcloud.Fault.JSON(status=200, body_json=body))
        completed = client.approve(request)
        assert not completed.ids_missing and completed.transaction_id == real.transaction_id

        emulator.inject_fault(APPROVAL, authcloud.Fault.JSON(status=200, body_json=body))
        emulator.inject_fault(STATUS_PATH, authcloud.Fault.STATUS(status=500, retry_after_secs=None))
        kept = client.approve(request)
        assert kept.ids_missing and kept.transaction_id == ""
        assert kept.status_token.reveal() == real.status_token.reveal()
        assert len(requests_to(emulator, APPROVAL)) == 3, "each approval sent once"

    within(DEADLINE_S, scenario)


def test_a_request_with_effects_queued_for_a_slot_is_not_sent_with_too_little_time_left(emulator, client):
    # One slot; an attempt and the whole call may take 1 s, so the send floor is 500 ms.
    one_slot = authcloud.Client(
        config_for(emulator, max_concurrent_requests=1, request_timeout_ms=1000, call_timeout_ms=1000)
    )

    def scenario():
        user_id = registered(emulator, client, "py-floor")
        request = authcloud.ApprovalRequest(user_id=user_id)
        token = client.enroll(username="py-holder").enrollment.status_token
        for path, call in [
            (ENROLL, lambda: one_slot.enroll(username="py-queued")),
            (APPROVAL, lambda: one_slot.approve(request)),
        ]:
            # A status call holds the only slot for 800 ms: once it is free, 200 ms would be
            # left of the 1 s, below the floor.
            seen = len(requests_to(emulator, STATUS_PATH))
            emulator.inject_fault(STATUS_PATH, authcloud.Fault.DELAY(delay_ms=800))
            holder = threading.Thread(target=one_slot.status, args=(token,), daemon=True)
            holder.start()
            while len(requests_to(emulator, STATUS_PATH)) == seen:
                time.sleep(0.005)
            sent = len(requests_to(emulator, path))
            started = time.monotonic()
            with pytest.raises(authcloud.AuthCloudError.Timeout) as info:
                call()
            # Ended by the 1 s call deadline (plus scheduling slack), not after a send.
            assert time.monotonic() - started < 1.0 + 0.2 * SLOWDOWN
            error = info.value
            assert error.not_sent, repr(error)
            assert "was not sent" in str(error) and "safe to retry" in str(error), str(error)
            assert error.kind() == "timeout" and error.is_transient()
            holder.join(5)
            assert not holder.is_alive()
            assert len(requests_to(emulator, path)) == sent, f"{path} reached the emulator"
        assert emulator.pending_approvals(user_id) == [], "no push went to the phone"
        # Not sent means safe to retry: with the slot free, the same calls go through.
        one_slot.enroll(username="py-queued")
        one_slot.approve(request)
        assert len(emulator.pending_approvals(user_id)) == 1

    within(DEADLINE_S, scenario)


def test_an_approval_is_re_sent_after_a_503_only_with_retry_after(emulator, client):
    def scenario():
        user_id = registered(emulator, client, "py-gateway")
        request = authcloud.ApprovalRequest(user_id=user_id)
        emulator.inject_fault(APPROVAL, authcloud.Fault.STATUS(status=503, retry_after_secs=None))
        with pytest.raises(authcloud.AuthCloudError.Server) as info:
            client.approve(request)
        assert info.value.http_status == 503 and not hasattr(info.value, "not_sent")
        assert len(requests_to(emulator, APPROVAL)) == 1, "exactly one approval request"

        emulator.inject_fault(APPROVAL, authcloud.Fault.STATUS(status=503, retry_after_secs=0))
        approval = client.approve(request)
        assert len(requests_to(emulator, APPROVAL)) == 3, "the refused one and its re-send"
        assert [p.transaction_id for p in emulator.pending_approvals(user_id)] == [approval.transaction_id]

    within(DEADLINE_S, scenario)
