"""The SDK never hangs its host: re-entrant calls, finalizers, fork, exit, cancelled waits.

Each scenario that could hang runs in a child interpreter with a deadline, so a hang fails
the test instead of stalling the suite.
"""

import asyncio
import os
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import authcloud
from conftest import Recorder

# Generous for a loaded 2-core machine; a hang is forever.
DEADLINE_SECONDS = 60

PRELUDE = textwrap.dedent(
    """
    import asyncio, gc, os, sys, threading, time
    import authcloud

    def config_for(emu):
        return authcloud.ClientConfig(base_url=emu.base_url(), access_key=emu.access_key(), request_timeout_ms=5000)

    def fast(timeout_ms=20_000):
        return authcloud.WaitOptions(poll_interval_ms=100, timeout_ms=timeout_ms)

    class Quiet(authcloud.WaitObserver):
        def on_status(self, update): pass
        def on_transient_error(self, error, retry_in_ms): pass
        def on_finished(self, outcome): pass
        def on_failed(self, error): pass
    """
)


def run_child(body: str, deadline: float = DEADLINE_SECONDS) -> str:
    """Runs PRELUDE + body in a fresh interpreter; returns its stdout. A hang or a failure
    fails the test with what the child printed."""
    code = PRELUDE + textwrap.dedent(body)
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=deadline
        )
    except subprocess.TimeoutExpired as hung:
        out = hung.stdout.decode() if isinstance(hung.stdout, bytes) else (hung.stdout or "")
        pytest.fail(f"the child hung for {deadline} s; it printed: {out!r}")
    assert done.returncode == 0, f"exit {done.returncode}\nstdout: {done.stdout}\nstderr: {done.stderr}"
    return done.stdout


# --- re-entrant calls: foreign code never runs where it could block the SDK -----------------


def test_finalizers_released_by_the_sdk_may_call_it_and_release_emulators():
    # An observer is released by the SDK when its watch ends. Its finalizer makes a blocking
    # call and releases an Emulator: wherever the SDK releases it, neither may hang.
    out = run_child(
        """
        emu = authcloud.Emulator.start(authcloud.EmulatorOptions(auto_approve_after_ms=50))
        client = authcloud.Client(config_for(emu))
        done = []

        class Finalized(Quiet):
            def __init__(self):
                self.own_emulator = authcloud.Emulator.start()
            def __del__(self):
                client.ping()  # re-entrant blocking call, from wherever the SDK released us
                self.own_emulator = None  # and an Emulator released there too
                done.append(threading.current_thread().name)

        handles = []
        for i in range(100):
            token = client.enroll(username=f"finalized-{i}").enrollment.status_token
            handles.append(client.watch(token, Finalized(), fast()))
        for handle in handles:
            assert handle.join(20_000), "the watch ended"
        deadline = time.monotonic() + 30
        while len(done) < 100 and time.monotonic() < deadline:
            gc.collect()
            time.sleep(0.01)
        assert len(done) == 100, len(done)
        client.ping()
        print("finalized", len(done), flush=True)
        """
    )
    assert "finalized 100" in out


def test_observer_callbacks_may_make_blocking_calls():
    out = run_child(
        """
        emu = authcloud.Emulator.start(authcloud.EmulatorOptions(auto_approve_after_ms=200))
        client = authcloud.Client(config_for(emu))
        calls = []

        class Calling(Quiet):
            def __init__(self, token):
                self.token = token
            def on_status(self, update):
                calls.append(client.status(self.token).status)
            def on_finished(self, outcome):
                client.ping()
                calls.append("finished")

        handles = []
        for i in range(100):
            token = client.enroll(username=f"calling-{i}").enrollment.status_token
            handles.append(client.watch(token, Calling(token), fast()))
        assert all(handle.join(30_000) for handle in handles)
        assert calls.count("finished") == 100, calls.count("finished")
        print("ok", flush=True)
        """
    )
    assert "ok" in out


def test_blocking_calls_right_after_async_calls_on_one_loop_x100():
    out = run_child(
        """
        emu = authcloud.Emulator.start()
        blocking = authcloud.Client(config_for(emu))
        concurrent = authcloud.AsyncClient(config_for(emu))

        async def main():
            for _ in range(100):
                await concurrent.ping()
                blocking.ping()  # resumed by the SDK's continuation, then a blocking call
        asyncio.run(main())
        print("ok", flush=True)
        """
    )
    assert "ok" in out


# --- fork --------------------------------------------------------------------------------

FORK_CHILD = """
def in_child(check):
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            check()
            code = 0
        except BaseException as error:
            print("child failed:", type(error).__name__, error, flush=True)
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, f"child status {status}"
"""


def test_a_child_forked_after_plain_blocking_calls_works():
    # The emulator serves from another process: this parent runs nothing in the background.
    out = run_child(
        FORK_CHILD
        + """
import subprocess
server = subprocess.Popen(
    [sys.executable, "-c", "import sys, authcloud; e = authcloud.Emulator.start(); "
     "print(e.base_url()); print(e.access_key().reveal(), flush=True); sys.stdin.read()"],
    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
base_url, key = server.stdout.readline().strip(), server.stdout.readline().strip()
client = authcloud.Client(authcloud.ClientConfig(base_url=base_url, access_key=key))
client.ping()  # the parent has used the SDK (a pooled connection), nothing runs in the background

def check():
    assert client.enroll(username="forked-plain").user.username == "forked-plain"

in_child(check)
client.ping()
server.stdin.close()
server.wait(10)
print("ok", flush=True)
"""
    )
    assert "ok" in out


def test_a_child_forked_while_a_watch_runs_gets_a_working_sdk():
    out = run_child(
        FORK_CHILD
        + """
emu = authcloud.Emulator.start()
client = authcloud.Client(config_for(emu))
token = client.enroll(username="parent-watch").enrollment.status_token
handle = client.watch(token, Quiet(), fast(60_000))  # background work at fork time
async_client = authcloud.AsyncClient(config_for(emu))

def check():
    # The inherited client: a fresh pool in the child, never the parent's sockets.
    assert client.enroll(username="forked-watch").user.username == "forked-watch"
    assert client.status(token).status == authcloud.TransactionStatus.PENDING
    # A new client, the async client, and a watch of the child's own.
    fresh = authcloud.Client(config_for(emu))
    fresh.ping()
    asyncio.run(async_client.ping())
    mine = client.enroll(username="forked-own").enrollment
    emu_error = None
    try:
        emu.approve(mine.transaction_id)
    except authcloud.AuthCloudError.Configuration as error:
        emu_error = error
    assert emu_error is not None and "parent" in str(emu_error), emu_error
    print("child ok", flush=True)

for _ in range(3):
    in_child(check)
# The parent is untouched: its watch still runs, its connections still work.
assert not handle.is_finished()
client.ping()
emu.approve(client.status(token).transaction_id)
assert handle.join(10_000)
print("ok", flush=True)
"""
    )
    assert out.count("child ok") == 3 and "ok" in out


def test_a_multiprocessing_fork_pool_works_with_an_emulator_and_a_watch_in_the_parent():
    out = run_child(
        """
import multiprocessing

emu = authcloud.Emulator.start(authcloud.EmulatorOptions(auto_approve_after_ms=100))
client = authcloud.Client(config_for(emu))
token = client.enroll(username="pool-parent").enrollment.status_token
handle = client.watch(token, Quiet(), fast(60_000))

def register(i):
    enrolled = client.enroll(username=f"pool-{i}")
    outcome = client.wait_for_completion(enrolled.enrollment.status_token, fast())
    verified = client.verify(enrolled.enrollment.status_token, expected_user_id=enrolled.user.user_id)
    return (enrolled.user.username, outcome.succeeded, verified.user_id == enrolled.user.user_id)

if __name__ == "__main__":
    with multiprocessing.get_context("fork").Pool(2) as pool:
        results = pool.map(register, range(8), chunksize=1)
    assert results == [(f"pool-{i}", True, True) for i in range(8)], results
    assert handle.join(20_000)
    print("ok", flush=True)
"""
    )
    assert "ok" in out


# --- exit ---------------------------------------------------------------------------------


def test_the_interpreter_exits_promptly_with_work_in_flight():
    started = time.monotonic()
    out = run_child(
        """
        emu = authcloud.Emulator.start()
        client = authcloud.Client(config_for(emu))
        async_client = authcloud.AsyncClient(config_for(emu))
        tokens = [client.enroll(username=f"exit-{i}").enrollment.status_token for i in range(3)]
        handle = client.watch(tokens[0], Quiet(), authcloud.WaitOptions())  # never approved
        threading.Thread(target=client.wait_for_completion, args=(tokens[1],), daemon=True).start()

        async def leave_a_task_running():
            asyncio.ensure_future(async_client.wait_for_completion(tokens[2]))
            await asyncio.sleep(0.2)
        loop = asyncio.new_event_loop()
        loop.run_until_complete(leave_a_task_running())  # the loop is never closed
        time.sleep(0.3)
        print("leaving", flush=True)
        """,
        deadline=20,
    )
    assert "leaving" in out
    assert time.monotonic() - started < 20


def test_the_interpreter_exits_cleanly_while_callbacks_and_log_records_are_due():
    # Forty watches end (auto-approved) just as the interpreter exits, with slow observers
    # and logging on: callbacks into a finalizing interpreter used to crash the process
    # (SIGSEGV/SIGABRT) instead of letting it exit.
    for _ in range(3):
        out = run_child(
            """
            import logging
            logging.basicConfig(level=logging.DEBUG, stream=open(os.devnull, "w"))
            authcloud.enable_logging()
            emu = authcloud.Emulator.start(authcloud.EmulatorOptions(auto_approve_after_ms=300))
            client = authcloud.Client(config_for(emu))

            class Slow(Quiet):
                def on_status(self, update): time.sleep(0.01)
                def on_finished(self, outcome): time.sleep(0.05)

            for i in range(40):
                client.watch(client.enroll(username=f"storm-{i}").enrollment.status_token, Slow(), fast())
            time.sleep(0.25)
            print("leaving", flush=True)
            """,
            deadline=20,
        )
        assert "leaving" in out


# --- cancelled async waits tell their observer --------------------------------------------


def test_a_cancelled_async_wait_tells_its_observer_once(emulator, async_client):
    recorder = Recorder()

    async def scenario():
        enrolled = await async_client.enroll(username="cancelled-async")
        waiting = asyncio.ensure_future(
            async_client.wait_for_completion(enrolled.enrollment.status_token, observer=recorder)
        )
        await asyncio.sleep(0.3)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting

    asyncio.run(scenario())
    deadline = time.monotonic() + 10
    while not any(e[0] == "failed" for e in recorder.events) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # a second end, if any, would come now
    ends = [e for e in recorder.events if e[0] in ("failed", "finished")]
    assert ends == [("failed", "Cancelled")], recorder.events


def test_a_finished_async_wait_tells_its_observer_only_how_it_ended(emulator, async_client):
    recorder = Recorder()

    async def scenario():
        enrolled = await async_client.enroll(username="finished-async")
        emulator.approve(enrolled.enrollment.transaction_id)
        await async_client.wait_for_completion(enrolled.enrollment.status_token, observer=recorder)

    asyncio.run(scenario())
    time.sleep(0.2)
    ends = [e for e in recorder.events if e[0] in ("failed", "finished")]
    assert ends == [("finished", True)], recorder.events
