"""The fault matrix on the endpoints of the code channels, the SMS approval and the log
export, from Python: every fault gives a typed error or (where re-sending is safe) the answer,
and each request is sent exactly as often as the re-send rules allow."""

import pytest

import authcloud
from conftest import requests_to

ENROLL = "/api/v1/users/enroll"
APPROVAL = "/api/v1/approval"
EXPORT = "/api/v1/logs/export"

FAULTS = {
    "500": authcloud.Fault.STATUS(status=500, retry_after_secs=None),
    "drop": authcloud.Fault.DROP(),
    "garbage": authcloud.Fault.GARBAGE(),
    "truncated": authcloud.Fault.TRUNCATED(),
    "429": authcloud.Fault.STATUS(status=429, retry_after_secs=0),
    "503": authcloud.Fault.STATUS(status=503, retry_after_secs=None),
}


def run_with_fault(emulator, path, fault, call):
    """Injects `fault` once on `path`, runs `call`: (its answer or its error, requests sent)."""
    before = len(requests_to(emulator, path))
    emulator.inject_fault(path, FAULTS[fault], 1)
    try:
        outcome = call()
    except authcloud.AuthCloudError as error:
        assert not isinstance(error, authcloud.AuthCloudError.InvalidInput), error
        outcome = error
    return outcome, len(requests_to(emulator, path)) - before


# (fault, answered?, requests sent) for an operation never re-sent once it may have arrived:
# only a refusal (429) is sent again.
NEVER_RESENT = [("500", False, 1), ("drop", False, 1), ("garbage", False, 1), ("truncated", False, 1), ("429", True, 2), ("503", False, 1)]


@pytest.mark.parametrize("fault,answered,sent", NEVER_RESENT)
def test_an_sms_enrollment_is_sent_once_unless_refused(emulator, client, fault, answered, sent):
    outcome, count = run_with_fault(
        emulator, ENROLL, fault, lambda: client.enroll_sms("+41791234567", username=f"py-fault-{fault}")
    )
    assert count == sent and isinstance(outcome, authcloud.SmsEnrollResult) == answered, outcome


@pytest.mark.parametrize("fault,answered,sent", NEVER_RESENT)
def test_an_sms_approval_is_sent_once_unless_refused(emulator, client, fault, answered, sent):
    enrolled = client.enroll_sms("+41791234567", username=f"py-sms-fault-{fault}")
    user_id = enrolled.user.user_id
    code = emulator.sms_messages_to(user_id)[-1].code
    check = authcloud.CodeCheck.SMS(status_token=enrolled.status_token, code=authcloud.Secret(code))
    assert client.verify_code(user_id, check) == authcloud.CodeVerdict.CORRECT
    request = authcloud.ApprovalRequest(user_id=user_id, channel=authcloud.ApprovalChannel.SMS)
    outcome, count = run_with_fault(emulator, APPROVAL, fault, lambda: client.approve(request))
    assert count == sent and isinstance(outcome, authcloud.ApprovalResult) == answered, outcome
    assert len(emulator.sms_messages_to(user_id)) <= 2, "never a second SMS for one approval"


# A code check: garbage in a 200 is still a 200 (the code was right).
CODE_CHECK = [("500", None, 1), ("drop", None, 1), ("garbage", "correct", 1), ("truncated", None, 1), ("429", "correct", 2), ("503", None, 1)]


def test_a_code_check_is_sent_once_unless_refused(emulator, client):
    user_id = client.enroll(username="py-code-faults").user.user_id
    codes = client.request_recovery_codes(user_id=user_id).codes
    path = f"/api/v1/users/{user_id}/verification"
    for (fault, verdict, sent), code in zip(CODE_CHECK, codes):
        check = authcloud.CodeCheck.RECOVERY(code=code)
        outcome, count = run_with_fault(emulator, path, fault, lambda: client.verify_code(user_id, check))
        assert count == sent, (fault, outcome)
        if verdict is None:
            assert isinstance(outcome, authcloud.AuthCloudError), (fault, outcome)
        else:
            assert outcome == authcloud.CodeVerdict.CORRECT, (fault, outcome)


# Issuing recovery codes: a duplicate replaces the set, so only "surely not processed" is re-sent.
RECOVERY = [("500", False, 1), ("drop", False, 1), ("garbage", False, 1), ("truncated", False, 1), ("429", True, 2), ("503", True, 2)]


@pytest.mark.parametrize("fault,answered,sent", RECOVERY)
def test_recovery_codes_are_re_requested_only_after_a_refusal(emulator, client, fault, answered, sent):
    user_id = client.enroll(username=f"py-recovery-fault-{fault}").user.user_id
    outcome, count = run_with_fault(emulator, ENROLL, fault, lambda: client.request_recovery_codes(user_id=user_id))
    assert count == sent and isinstance(outcome, authcloud.RecoveryCodes) == answered, outcome


# The export is a read: re-sent after anything transient; 500 and garbage are answers.
EXPORT_FAULTS = [("500", False, 1), ("drop", True, 2), ("garbage", False, 1), ("truncated", True, 2), ("429", True, 2), ("503", True, 2)]


@pytest.mark.parametrize("fault,answered,sent", EXPORT_FAULTS)
def test_the_log_export_is_retried_as_a_read(emulator, client, fault, answered, sent):
    client.enroll(username="py-export-fault")
    outcome, count = run_with_fault(emulator, EXPORT, fault, lambda: client.export_logs())
    assert count == sent and isinstance(outcome, authcloud.LogExport) == answered, outcome
    if answered:
        assert outcome.events
    elif fault == "garbage":
        assert isinstance(outcome, authcloud.AuthCloudError.MalformedResponse)
