"""authcloud: register a phone as an authenticator with the Nevis Authentication Cloud.

The classes come from the Rust core through UniFFI: ``Client`` (blocking),
``AsyncClient`` (asyncio), ``ClientConfig``, ``Secret``, ``CancelToken``,
``EnrollmentObserver``, ``LogSink``, ``WatchHandle``, ``AuthCloudError`` and, for tests,
``Emulator``. This module adds a thin Python layer where Python needs something the
generated code cannot give: a blocking wait that Ctrl-C interrupts.
"""

from __future__ import annotations

import threading as _threading
import typing as _typing

from ._native import authcloud as _native
from ._native.authcloud import *  # noqa: F401,F403
from ._native.authcloud import __all__  # noqa: F401

# How often the calling thread looks up from a blocking wait: signal handlers (Ctrl-C) run
# only between Python bytecodes, never while a native call blocks the thread.
_SIGNAL_CHECK_SECONDS = 0.05
# How long an interrupted wait may take to wind down after its cancel.
_CANCEL_GRACE_SECONDS = 5.0


class Client(_native.Client):
    """A blocking client of one Authentication Cloud instance (see the generated
    ``Client`` for every method). Thread-safe; create one and share it.

    ``wait_for_completion`` returns within a moment of Ctrl-C: the wait runs on a helper
    thread while this one stays responsive to signals, and an interrupt cancels it (no
    request is sent after that) before ``KeyboardInterrupt`` propagates.
    """

    def wait_for_completion(
        self,
        status_token: _native.Secret,
        options: _typing.Optional[_native.WaitOptions] = None,
        observer: _typing.Optional[_native.EnrollmentObserver] = None,
        cancel: _typing.Optional[_native.CancelToken] = None,
    ) -> _native.WaitOutcome:
        """Polls until the operation is final or ``options.timeout_ms`` passes.

        ``cancel``: a ``CancelToken`` whose ``cancel()`` (from any thread) ends the wait
        with ``AuthCloudError.Cancelled``. Ctrl-C cancels too and raises
        ``KeyboardInterrupt``.
        """
        token = cancel if cancel is not None else _native.CancelToken()
        wait_options = options if options is not None else _native.WaitOptions()
        native_wait = super().wait_for_completion
        outcome: dict = {}

        def run() -> None:
            try:
                outcome["value"] = native_wait(status_token, wait_options, observer, token)
            except BaseException as error:  # handed to the caller's thread below
                outcome["error"] = error

        worker = _threading.Thread(target=run, name="authcloud-wait", daemon=True)
        worker.start()
        try:
            while worker.is_alive():
                worker.join(_SIGNAL_CHECK_SECONDS)
        except BaseException:
            # KeyboardInterrupt (or another signal's exception): stop polling, then let it go.
            token.cancel()
            worker.join(_CANCEL_GRACE_SECONDS)
            raise
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]
