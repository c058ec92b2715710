"""Never lose an enrollment: the guide's literal bodies, checked deep links, bound
verification, and waits that a cancel token or Ctrl-C stops."""

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import authcloud
from conftest import STATUS_PATH, fast, guide_body, requests_to

ENROLL = "/api/v1/users/enroll"
INTROSPECT = "/api/v1/introspect"


def raw(emulator, path, status, body):
    emulator.inject_fault(path, authcloud.Fault.RAW(status=status, body=body, content_type=None))


def test_the_guides_literal_enroll_answer_keeps_the_enrollment(emulator, client):
    raw(emulator, ENROLL, 201, guide_body("enroll"))
    enrolled = client.enroll(username="u12345")
    assert enrolled.user.user_id == "7e16ba00-92e2-4fcb-b30e-1af8fdc843aa"
    assert enrolled.user.username == "u12345" and enrolled.user.status == "new"
    assert enrolled.user.authenticators == []
    assert enrolled.enrollment.transaction_id == "67cae36e-e3d5-4d67-9aa6-ab7ae3050576"
    assert enrolled.enrollment.status_token.reveal() == "eyJhbGciO...PxOZZYow"
    qr = enrolled.enrollment.qr_code
    assert qr.size() == 300 and qr.data_uri() == "...YII"
    with pytest.raises(authcloud.AuthCloudError.MalformedResponse):
        qr.png()
    link = enrolled.enrollment.app_link_uri
    assert not link.is_valid()
    assert "DNS name" in link.problem()
    assert link.reveal().startswith("https://{instance}.mauth.nevis.cloud/open?")
    with pytest.raises(authcloud.AuthCloudError.MalformedResponse):
        link.href()
    assert len(requests_to(emulator, ENROLL)) == 1


def test_the_guides_literal_status_and_introspect_answers_parse(emulator, client):
    raw(emulator, STATUS_PATH, 200, guide_body("status"))
    status = client.status(authcloud.Secret("any"))
    assert status.status == authcloud.TransactionStatus.PENDING
    assert status.transaction_id == "b7d44592-91f3-4f4b-9e37-202a3061edc3"
    assert status.username == "Userxyz123" and status.token.reveal() == "eyJhb...Fl9bpEXGGw"
    raw(emulator, INTROSPECT, 200, guide_body("introspect"))
    introspection = client.introspect(authcloud.Secret("any"))
    assert introspection.active and introspection.aud == ["api"]
    assert introspection.iat == 1642436165000
    assert introspection.issued_at_ms == 1642436165000


def test_an_unsafe_deep_link_is_flagged_not_fatal(emulator, client):
    body = '{"userId": "u", "enrollment": {"transactionId": "t", "statusToken": "s", "appLinkUri": "javascript://x/%0Aalert(1)"}}'
    raw(emulator, ENROLL, 201, body)
    link = client.enroll(username="u").enrollment.app_link_uri
    assert not link.is_valid() and "javascript" in link.problem()
    assert link.reveal() == "javascript://x/%0Aalert(1)"
    # The emulator's own link is fine, and prints redacted.
    link = client.enroll(username="u").enrollment.app_link_uri
    assert link.is_valid() and link.href().startswith(emulator.base_url() + "/open?")
    assert "dispatchTokenResponse" not in repr(link) + str(link)


def test_verify_binds_the_operation_to_the_callers_session(emulator, client):
    mine = client.enroll(username="mine")
    theirs = client.enroll(username="theirs")
    emulator.approve(theirs.enrollment.transaction_id)
    token = theirs.enrollment.status_token
    with pytest.raises(authcloud.AuthCloudError.NotVerified) as info:
        client.verify(token, expected_user_id=mine.user.user_id)
    assert info.value.check == authcloud.VerificationCheck.USER_MISMATCH
    with pytest.raises(authcloud.AuthCloudError.NotVerified) as info:
        client.verify(token, expected_transaction_id=mine.enrollment.transaction_id)
    assert info.value.check == authcloud.VerificationCheck.TRANSACTION_MISMATCH
    assert not requests_to(emulator, INTROSPECT), "a foreign token is refused before introspect"
    verified = client.verify(
        token, expected_user_id=theirs.user.user_id, expected_transaction_id=theirs.enrollment.transaction_id
    )
    assert verified.user_id == theirs.user.user_id


def test_the_subject_check_can_be_turned_off(emulator, client):
    enrolled = client.enroll(username="subject")
    emulator.approve(enrolled.enrollment.transaction_id)
    other = '{"active": true, "sub": "someone-else", "aud": "api"}'
    raw(emulator, INTROSPECT, 200, other)
    with pytest.raises(authcloud.AuthCloudError.NotVerified) as info:
        client.verify(enrolled.enrollment.status_token)
    assert info.value.check == authcloud.VerificationCheck.SUBJECT_MISMATCH
    raw(emulator, INTROSPECT, 200, other)
    verified = client.verify(enrolled.enrollment.status_token, check_subject=False)
    assert verified.user_id == enrolled.user.user_id


def test_a_cancel_token_stops_a_blocking_wait(emulator, client):
    enrolled = client.enroll(username="cancelled")
    cancel = authcloud.CancelToken()
    threading.Timer(0.3, cancel.cancel).start()
    started = time.monotonic()
    with pytest.raises(authcloud.AuthCloudError.Cancelled):
        client.wait_for_completion(enrolled.enrollment.status_token, authcloud.WaitOptions(), cancel=cancel)
    assert time.monotonic() - started < 1.2, "ended at the cancel, not at the next 1.5 s poll"


def test_async_waits_take_a_cancel_token_too(emulator, async_client):
    import asyncio

    async def scenario():
        enrolled = await async_client.enroll(username="async-cancelled")
        cancel = authcloud.CancelToken()
        asyncio.get_running_loop().call_later(0.3, cancel.cancel)
        with pytest.raises(authcloud.AuthCloudError.Cancelled):
            await async_client.wait_for_completion(enrolled.enrollment.status_token, fast(), cancel=cancel)

    asyncio.run(scenario())


def test_too_fast_polling_is_refused(emulator, client):
    enrolled = client.enroll(username="impatient")
    with pytest.raises(authcloud.AuthCloudError.InvalidInput):
        client.wait_for_completion(enrolled.enrollment.status_token, authcloud.WaitOptions(poll_interval_ms=50))


CTRL_C_CHILD = textwrap.dedent(
    """
    import faulthandler, sys, time
    import authcloud
    emu = authcloud.Emulator.start()
    client = authcloud.Client(authcloud.ClientConfig(base_url=emu.base_url(), access_key=emu.access_key()))
    token = client.enroll(username="ctrl-c").enrollment.status_token
    faulthandler.dump_traceback_later(9, exit=True)  # a stuck child tells where it is
    print("waiting", flush=True)
    try:
        client.wait_for_completion(token)  # the guide's 1.5 s interval, 5 minutes
    except KeyboardInterrupt:
        interrupted = time.monotonic()
        polls = len([r for r in emu.requests() if r.path == "/api/v1/status"])
        time.sleep(2)
        later = len([r for r in emu.requests() if r.path == "/api/v1/status"])
        print(f"interrupted {interrupted} polls {polls} later {later}", flush=True)
        sys.exit(130)
    print("not interrupted", flush=True)
    """
)


def test_ctrl_c_interrupts_a_blocking_wait_within_a_poll_interval(tmp_path):
    script = tmp_path / "wait.py"
    script.write_text(CTRL_C_CHILD)
    child = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "waiting"
        time.sleep(0.8)  # inside the first 1.5 s interval
        sent = time.monotonic()
        os.kill(child.pid, signal.SIGINT)
        try:
            # A child that ignores Ctrl-C fails here, not hangs. (It dumps its threads'
            # stacks to stderr first if it is still running 9 s after starting to wait.)
            out, err = child.communicate(timeout=12)
        except subprocess.TimeoutExpired:
            child.kill()
            out, err = child.communicate()
            pytest.fail(f"the child did not end: stdout {out!r}, stderr {err!r}")
        line = out.split()
        assert child.returncode == 130, (out, err)
    finally:
        child.kill()
    assert line[0] == "interrupted", line
    assert float(line[1]) - sent < 1.5, "KeyboardInterrupt within one poll interval"
    assert line[3] == line[5], "no status request after the interrupt"
