"""Observers, log sinks and cancellation: host callbacks cannot break the SDK."""

import asyncio
import threading
import time

import authcloud
from conftest import STATUS_PATH, Recorder, fast, requests_to


def test_observer_hears_every_update_in_order(emulator, client):
    enrolled = client.enroll(username="observed")
    threading.Timer(0.25, emulator.approve, [enrolled.enrollment.transaction_id]).start()
    recorder = Recorder()
    outcome = client.wait_for_completion(enrolled.enrollment.status_token, fast(), recorder)
    statuses = [e for e in recorder.events if e[0] == "status"]
    assert len(statuses) == outcome.polls >= 3
    assert [e[1] for e in statuses] == list(range(1, outcome.polls + 1))
    assert all(e[2] == authcloud.TransactionStatus.PENDING for e in statuses[:-1])
    assert statuses[-1][2] == authcloud.TransactionStatus.SUCCEEDED
    assert recorder.events[-1] == ("finished", True)


def test_transient_errors_reach_the_observer(emulator, client):
    enrolled = client.enroll(username="flaky")
    emulator.inject_fault(STATUS_PATH, authcloud.Fault.STATUS(status=503, retry_after_secs=None))
    emulator.approve(enrolled.enrollment.transaction_id)
    recorder = Recorder()
    outcome = client.wait_for_completion(enrolled.enrollment.status_token, fast(), recorder)
    assert outcome.succeeded
    assert recorder.events[0][:2] == ("transient", "Server")


class Exploding(Recorder):
    def on_status(self, update):
        super().on_status(update)
        raise RuntimeError("host bug in on_status")


def test_an_exception_in_a_callback_does_not_break_the_wait(emulator, client):
    enrolled = client.enroll(username="exploding")
    threading.Timer(0.2, emulator.approve, [enrolled.enrollment.transaction_id]).start()
    observer = Exploding()
    outcome = client.wait_for_completion(enrolled.enrollment.status_token, fast(), observer)
    assert outcome.succeeded
    assert observer.events[-1] == ("finished", True)
    # The SDK still works afterwards.
    assert client.status(enrolled.enrollment.status_token).status == authcloud.TransactionStatus.SUCCEEDED


class Slow(Recorder):
    def on_status(self, update):
        time.sleep(0.3)
        super().on_status(update)


def test_a_slow_callback_does_not_delay_polling(emulator, client):
    enrolled = client.enroll(username="slow")
    threading.Timer(0.5, emulator.approve, [enrolled.enrollment.transaction_id]).start()
    observer = Slow()
    outcome = client.wait_for_completion(enrolled.enrollment.status_token, fast(poll_ms=100), observer)
    assert outcome.succeeded
    # Polls kept their 100 ms schedule although each callback took 300 ms...
    times = [r.at_ms for r in requests_to(emulator, STATUS_PATH)]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert gaps and max(gaps) < 200, gaps
    # ...and still every update arrived, in order, before the wait returned.
    assert [e[1] for e in observer.events if e[0] == "status"] == list(range(1, outcome.polls + 1))


class Sink(authcloud.LogSink):
    def __init__(self, fail=False):
        self.records = []
        self.fail = fail

    def log(self, record):
        self.records.append(record)
        if self.fail:
            raise ValueError("host logging is broken")


def test_log_sink_receives_redacted_lines(emulator, client):
    sink = Sink()
    authcloud.set_log_sink(sink, authcloud.LogLevel.DEBUG)
    try:
        enrolled = client.enroll(username="logged")
        client.status(enrolled.enrollment.status_token)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not any(r.target == "authcloud::http" for r in sink.records):
            time.sleep(0.02)
    finally:
        authcloud.clear_log_sink()
    http = [r for r in sink.records if r.target == "authcloud::http"]
    assert http, [r.target for r in sink.records]
    assert any("operation=enroll" in r.message and "status=201" in r.message for r in http)
    assert all(r.level in (authcloud.LogLevel.DEBUG, authcloud.LogLevel.INFO, authcloud.LogLevel.WARN) for r in http)
    secrets = [emulator.access_key().reveal(), enrolled.enrollment.status_token.reveal()]
    for record in sink.records:
        for secret in secrets:
            assert secret not in record.message


def test_a_failing_log_sink_does_not_break_the_sdk(emulator, client):
    before = authcloud.dropped_log_records()
    authcloud.set_log_sink(Sink(fail=True), authcloud.LogLevel.TRACE)
    try:
        for i in range(3):
            client.enroll(username=f"noisy-{i}")
        time.sleep(0.2)
    finally:
        authcloud.clear_log_sink()
    assert authcloud.dropped_log_records() > before


def test_asyncio_cancellation_stops_polling(emulator, async_client):
    async def scenario():
        enrolled = await async_client.enroll(username="cancel-me")
        task = asyncio.ensure_future(async_client.wait_for_completion(enrolled.enrollment.status_token, fast()))
        await asyncio.sleep(0.3)
        task.cancel()
        try:
            await task
            raise AssertionError("the wait should have been cancelled")
        except asyncio.CancelledError:
            pass

    asyncio.run(scenario())
    time.sleep(0.1)  # a request already on the wire at the cancel may still be logged
    polls = len(requests_to(emulator, STATUS_PATH))
    assert polls >= 3
    time.sleep(0.4)
    assert len(requests_to(emulator, STATUS_PATH)) == polls, "no status call after cancel"


def test_watch_handle_cancel_stops_polling(emulator, client):
    enrolled = client.enroll(username="watched")
    recorder = Recorder()
    handle = client.watch(enrolled.enrollment.status_token, recorder, fast())
    time.sleep(0.3)
    assert not handle.is_finished()
    handle.cancel()
    assert handle.join(2000)
    time.sleep(0.1)  # a request already on the wire at the cancel may still be logged
    polls = len(requests_to(emulator, STATUS_PATH))
    time.sleep(0.4)
    assert len(requests_to(emulator, STATUS_PATH)) == polls, "no status call after cancel"
    assert recorder.events[-1] == ("failed", "Cancelled")


def test_watch_reports_completion(emulator, async_client):
    enrolled = authcloud.Client(authcloud.ClientConfig(base_url=emulator.base_url(), access_key=emulator.access_key())).enroll(
        username="watch-ok"
    )
    recorder = Recorder()
    handle = async_client.watch(enrolled.enrollment.status_token, recorder, fast())
    emulator.approve(enrolled.enrollment.transaction_id)
    assert handle.join(5000)
    assert recorder.events[-1] == ("finished", True)


def test_a_dropped_watch_handle_keeps_the_watch_running(emulator, client):
    """The watch belongs to its observer, not to the handle: dropping the handle (or a
    garbage collector releasing it) never cancels it silently."""
    enrolled = client.enroll(username="dropped")
    recorder = Recorder()
    client.watch(enrolled.enrollment.status_token, recorder, fast())  # handle not kept
    import gc

    gc.collect()
    time.sleep(0.3)
    assert len(requests_to(emulator, STATUS_PATH)) >= 2, "still polling"
    emulator.approve(enrolled.enrollment.transaction_id)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not recorder.events[-1:] == [("finished", True)]:
        time.sleep(0.02)
    assert recorder.events[-1] == ("finished", True)
