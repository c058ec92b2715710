"""authcloud: register a phone as an authenticator with the Nevis Authentication Cloud.

The classes come from the Rust core through UniFFI: ``Client`` (blocking),
``AsyncClient`` (asyncio), ``ClientConfig``, ``Secret``, ``CancelToken``,
``WaitObserver``, ``LogSink``, ``WatchHandle``, ``AuthCloudError`` and, for tests,
``Emulator``. This module adds a thin Python layer where Python wants more than generated
code gives:

- every method that takes a token or key also takes a plain ``str``;
- ``str(error)`` is a sentence (what failed, where, what the server said, what to do);
- ``Client.wait_for_completion`` returns on Ctrl-C;
- ``status_updates()`` iterates over a wait's answers (``async for`` on ``AsyncClient``);
- ``enable_logging()`` routes the SDK's log lines to ``logging.getLogger("authcloud")``.

A pytest plugin (``authcloud.pytest_plugin``, registered automatically) provides the
fixtures ``authcloud_emulator``, ``authcloud_client`` and ``authcloud_async_client``.
"""

from __future__ import annotations

import asyncio as _asyncio
import atexit as _atexit
import logging as _logging
import queue as _queue
import threading as _threading
import typing as _typing

from ._native import authcloud as _native
from ._native.authcloud import *  # noqa: F401,F403
from ._native.authcloud import __all__ as _native_all

__all__ = list(_native_all) + ["enable_logging", "disable_logging", "TokenLike"]

# How often a waiting thread looks up from a blocking wait: signal handlers (Ctrl-C) run
# only between Python bytecodes, never while a native call blocks the thread.
_SIGNAL_CHECK_SECONDS = 0.05
# How long an interrupted wait may take to wind down after its cancel.
_CANCEL_GRACE_SECONDS = 5.0
# At exit, how long callbacks already running (observers, log records) may take to return
# before the interpreter finalizes (a thread entering a finalizing interpreter is killed,
# which would abort the process from inside the SDK's threads).
_EXIT_GRACE_MS = 1000

# Registered at import, so it runs after the atexit handlers of modules imported later
# (they may still use the SDK) and before the interpreter finalizes.
_atexit.register(_native.prepare_for_exit, _EXIT_GRACE_MS)

TokenLike = _typing.Union[str, _native.Secret]
"""A token or key: a plain ``str`` or a ``Secret``."""


def _secret(value: TokenLike, name: str = "token") -> _native.Secret:
    """A ``Secret`` from a ``str`` or a ``Secret`` (anything else is a ``TypeError``)."""
    if isinstance(value, _native.Secret):
        return value
    if isinstance(value, str):
        return _native.Secret(value)
    raise TypeError(f"{name} must be a str or an authcloud.Secret, not {type(value).__name__}")


def _optional_secret(value: _typing.Optional[TokenLike], name: str) -> _typing.Optional[_native.Secret]:
    return None if value is None else _secret(value, name)


def _config(config: _native.ClientConfig) -> _native.ClientConfig:
    """The same configuration with any ``str`` key, token or proxy wrapped in a ``Secret``."""
    config.access_key = _optional_secret(config.access_key, "access_key")
    config.intent_token = _optional_secret(config.intent_token, "intent_token")
    config.proxy_url = _optional_secret(config.proxy_url, "proxy_url")
    return config


# --- errors: sentences ------------------------------------------------------------------

# The generated module builds `AuthCloudError` at runtime as the exception base of its
# variants, but declares a namespace class for them first; type checkers see only that
# declaration, which is not an exception class (`except authcloud.AuthCloudError` would be
# flagged). For them, declare what it is at runtime. (tests/test_typing.py keeps the two in
# step.)
if _typing.TYPE_CHECKING:

    class AuthCloudError(Exception):
        """Every error of authcloud; ``str(e)`` is a sentence, ``e.kind()`` a stable name."""

        Configuration = _native.AuthCloudError.Configuration
        InvalidInput = _native.AuthCloudError.InvalidInput
        Network = _native.AuthCloudError.Network
        Tls = _native.AuthCloudError.Tls
        Timeout = _native.AuthCloudError.Timeout
        Unauthorized = _native.AuthCloudError.Unauthorized
        NotFound = _native.AuthCloudError.NotFound
        RateLimited = _native.AuthCloudError.RateLimited
        Server = _native.AuthCloudError.Server
        Api = _native.AuthCloudError.Api
        MalformedResponse = _native.AuthCloudError.MalformedResponse
        ResponseTooLarge = _native.AuthCloudError.ResponseTooLarge
        WaitTimedOut = _native.AuthCloudError.WaitTimedOut
        Cancelled = _native.AuthCloudError.Cancelled
        NotVerified = _native.AuthCloudError.NotVerified
        Internal = _native.AuthCloudError.Internal

        def kind(self) -> str: ...

        def is_transient(self) -> bool: ...

        def describe(self) -> str: ...

    # The same generator quirk types `Fault.STATUS(...)` & co. as unrelated to `Fault`, and
    # observers' `error` parameters as the namespace: declare the intended signatures.
    FaultLike = _typing.Union[
        _native.Fault,
        _native.Fault.STATUS,
        _native.Fault.GARBAGE,
        _native.Fault.TRUNCATED,
        _native.Fault.OVERSIZED,
        _native.Fault.DELAY,
        _native.Fault.DROP,
        _native.Fault.JSON,
        _native.Fault.RAW,
        _native.Fault.REDIRECT,
    ]

    class Emulator(_native.Emulator):
        @classmethod
        def start(cls, options: _native.EmulatorOptions = ...) -> "Emulator": ...  # type: ignore[override]

        def inject_fault(self, path: str, fault: FaultLike, count: int = 1) -> None: ...  # type: ignore[override]

    class WaitObserver(_native.WaitObserver):
        def on_status(self, update: _native.StatusUpdate) -> None: ...

        def on_transient_error(self, error: AuthCloudError, retry_in_ms: int) -> None: ...  # type: ignore[override]

        def on_finished(self, outcome: _native.WaitOutcome) -> None: ...

        def on_failed(self, error: AuthCloudError) -> None: ...  # type: ignore[override]

else:
    AuthCloudError = _native.AuthCloudError


def _error_str(self: "AuthCloudError") -> str:
    return self.describe()


_native.AuthCloudError.__str__ = _error_str  # type: ignore[method-assign]


# --- status updates as iterators ------------------------------------------------------------

class _QueueObserver(WaitObserver):
    """Feeds a watch's events into a queue: ("status", update), ("end", outcome), ("error", e)."""

    def __init__(self, put: _typing.Callable[[_typing.Tuple[str, _typing.Any]], None]) -> None:
        self._put = put

    def on_status(self, update: _native.StatusUpdate) -> None:
        self._put(("status", update))

    def on_transient_error(self, error: AuthCloudError, retry_in_ms: int) -> None:
        pass

    def on_finished(self, outcome: _native.WaitOutcome) -> None:
        self._put(("end", outcome))

    def on_failed(self, error: AuthCloudError) -> None:
        self._put(("error", error))


async def _async_updates(
    watch: _typing.Callable[[_native.WaitObserver], _native.WatchHandle],
) -> _typing.AsyncIterator[_native.StatusUpdate]:
    loop = _asyncio.get_running_loop()
    events: "_asyncio.Queue[_typing.Tuple[str, _typing.Any]]" = _asyncio.Queue()

    def put(event: _typing.Tuple[str, _typing.Any]) -> None:
        try:
            loop.call_soon_threadsafe(events.put_nowait, event)
        except RuntimeError:
            pass  # the loop is closed: nobody is listening any more

    handle = watch(_QueueObserver(put))
    try:
        while True:
            kind, value = await events.get()
            if kind == "status":
                yield value
            elif kind == "end":
                return
            else:
                raise value
    finally:
        # The consumer stopped (break, cancellation, an exception): stop polling.
        handle.cancel()


def _blocking_updates(
    watch: _typing.Callable[[_native.WaitObserver], _native.WatchHandle],
) -> _typing.Iterator[_native.StatusUpdate]:
    events: "_queue.Queue[_typing.Tuple[str, _typing.Any]]" = _queue.Queue()
    handle = watch(_QueueObserver(events.put))
    try:
        while True:
            try:
                kind, value = events.get(timeout=_SIGNAL_CHECK_SECONDS)
            except _queue.Empty:
                continue  # look up: a pending KeyboardInterrupt is raised here
            if kind == "status":
                yield value
            elif kind == "end":
                return
            else:
                raise value
    finally:
        handle.cancel()


# --- the clients --------------------------------------------------------------------------

class Client(_native.Client):
    """A blocking client of one Authentication Cloud instance. Thread-safe; create one and
    share it. Tokens and keys may be given as ``str`` or ``Secret``.

    ``wait_for_completion`` returns within a moment of Ctrl-C: the wait runs on a helper
    thread while this one stays responsive to signals, and an interrupt cancels it (no
    request is sent after that) before ``KeyboardInterrupt`` propagates.
    """

    def __init__(self, config: _native.ClientConfig) -> None:
        super().__init__(_config(config))

    def status(self, status_token: TokenLike) -> _native.OperationStatus:
        """Where an operation stands (one request; retried if it fails transiently)."""
        return super().status(_secret(status_token, "status_token"))

    def introspect(self, token: TokenLike) -> _native.Introspection:
        """Whether a token is genuine and active. Needs the access key."""
        return super().introspect(_secret(token))

    def verify(
        self,
        status_token: TokenLike,
        expected_user_id: _typing.Optional[str] = None,
        expected_transaction_id: _typing.Optional[str] = None,
        check_subject: bool = True,
    ) -> _native.VerifiedUser:
        """Verifies an operation on the backend (status + introspect), bound to the
        expected user and/or transaction; raises ``AuthCloudError.NotVerified`` naming the
        failed check."""
        return super().verify(_secret(status_token, "status_token"), expected_user_id, expected_transaction_id, check_subject)

    def watch(
        self,
        status_token: TokenLike,
        observer: _native.WaitObserver,
        options: _typing.Optional[_native.WaitOptions] = None,
    ) -> _native.WatchHandle:
        """Polls in the background, reporting to ``observer``; ``handle.cancel()`` stops it."""
        return super().watch(_secret(status_token, "status_token"), observer, options or _native.WaitOptions())

    def wait_for_completion(
        self,
        status_token: TokenLike,
        options: _typing.Optional[_native.WaitOptions] = None,
        observer: _typing.Optional[_native.WaitObserver] = None,
        cancel: _typing.Optional[_native.CancelToken] = None,
    ) -> _native.WaitOutcome:
        """Polls until the operation is final or ``options.timeout_ms`` passes.

        ``cancel``: a ``CancelToken`` whose ``cancel()`` (from any thread) ends the wait
        with ``AuthCloudError.Cancelled``. Ctrl-C cancels too and raises
        ``KeyboardInterrupt``.
        """
        token = cancel if cancel is not None else _native.CancelToken()
        secret = _secret(status_token, "status_token")
        wait_options = options if options is not None else _native.WaitOptions()
        native_wait = super().wait_for_completion
        outcome: _typing.Dict[str, _typing.Any] = {}

        def run() -> None:
            try:
                outcome["value"] = native_wait(secret, wait_options, observer, token)
            except BaseException as error:  # handed to the caller's thread below
                outcome["error"] = error

        worker = _threading.Thread(target=run, name="authcloud-wait", daemon=True)
        try:
            # `start()` waits for the thread to run: a Ctrl-C can land there too, and must
            # cancel the wait just the same.
            worker.start()
            while worker.is_alive():
                worker.join(_SIGNAL_CHECK_SECONDS)
        except BaseException:
            # KeyboardInterrupt (or another signal's exception): stop polling, then let it go.
            token.cancel()
            if worker.ident is not None:  # it did start (the interrupt may precede that)
                worker.join(_CANCEL_GRACE_SECONDS)
            raise
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]

    def status_updates(
        self, status_token: TokenLike, options: _typing.Optional[_native.WaitOptions] = None
    ) -> _typing.Iterator[_native.StatusUpdate]:
        """Every status answer of a wait, the final one included, as a (blocking) iterator:
        ``for update in client.status_updates(token): ...``. Ends after the final status;
        raises the ``AuthCloudError`` that ended the wait otherwise. Leaving the loop early
        (``break``, an exception, Ctrl-C) stops the polling."""
        return _blocking_updates(lambda observer: self.watch(status_token, observer, options))


class AsyncClient(_native.AsyncClient):
    """An asyncio client of one Authentication Cloud instance (see ``Client``). Tokens and
    keys may be given as ``str`` or ``Secret``; cancelling an awaiting task stops its work."""

    def __init__(self, config: _native.ClientConfig) -> None:
        super().__init__(_config(config))

    async def status(self, status_token: TokenLike) -> _native.OperationStatus:
        return await super().status(_secret(status_token, "status_token"))

    async def introspect(self, token: TokenLike) -> _native.Introspection:
        return await super().introspect(_secret(token))

    async def verify(
        self,
        status_token: TokenLike,
        expected_user_id: _typing.Optional[str] = None,
        expected_transaction_id: _typing.Optional[str] = None,
        check_subject: bool = True,
    ) -> _native.VerifiedUser:
        return await super().verify(
            _secret(status_token, "status_token"), expected_user_id, expected_transaction_id, check_subject
        )

    def watch(
        self,
        status_token: TokenLike,
        observer: _native.WaitObserver,
        options: _typing.Optional[_native.WaitOptions] = None,
    ) -> _native.WatchHandle:
        return super().watch(_secret(status_token, "status_token"), observer, options or _native.WaitOptions())

    async def wait_for_completion(
        self,
        status_token: TokenLike,
        options: _typing.Optional[_native.WaitOptions] = None,
        observer: _typing.Optional[_native.WaitObserver] = None,
        cancel: _typing.Optional[_native.CancelToken] = None,
    ) -> _native.WaitOutcome:
        return await super().wait_for_completion(
            _secret(status_token, "status_token"), options or _native.WaitOptions(), observer, cancel
        )

    def status_updates(
        self, status_token: TokenLike, options: _typing.Optional[_native.WaitOptions] = None
    ) -> _typing.AsyncIterator[_native.StatusUpdate]:
        """Every status answer of a wait, the final one included:
        ``async for update in client.status_updates(token): ...``. Ends after the final
        status; raises the ``AuthCloudError`` that ended the wait otherwise. Cancelling the
        consuming task, or leaving the loop early, stops the polling."""
        return _async_updates(lambda observer: self.watch(status_token, observer, options))


# --- logging -------------------------------------------------------------------------------

_LOGGER_NAME = "authcloud"
_TO_PYTHON_LEVEL = {
    _native.LogLevel.ERROR: _logging.ERROR,
    _native.LogLevel.WARN: _logging.WARNING,
    _native.LogLevel.INFO: _logging.INFO,
    _native.LogLevel.DEBUG: _logging.DEBUG,
    _native.LogLevel.TRACE: 5,
}


class _LoggingSink(_native.LogSink):
    """Hands each SDK record to ``logging.getLogger("authcloud")`` (or a child named after
    the record's target, e.g. ``authcloud.http``)."""

    def log(self, record: _native.LogRecord) -> None:
        name = record.target.replace("::", ".")
        logger = _logging.getLogger(name if name.startswith(_LOGGER_NAME) else _LOGGER_NAME)
        level = _TO_PYTHON_LEVEL.get(record.level, _logging.INFO)
        if logger.isEnabledFor(level):
            logger.log(level, "%s", record.message, extra={"authcloud_target": record.target})


def enable_logging(level: _typing.Optional[int] = None) -> None:
    """Routes the SDK's (secret-free) log records to the ``logging`` logger ``authcloud``
    (children ``authcloud.http``, ``authcloud.wait``, …), so handlers, ``caplog`` and
    ``logging.basicConfig`` see them.

    A call's records are handed to ``logging`` on the calling thread before the call
    returns, so ``with caplog.at_level(logging.DEBUG, logger="authcloud"): client.enroll(...)``
    captures them. By default (``level=None``) the loggers' levels decide, record by record,
    whenever they change; ``level`` fixes the most verbose level the SDK produces at all
    (cheaper when you know you never want debug lines)."""
    if level is None or level <= 5:
        sdk_level = _native.LogLevel.TRACE
    elif level <= _logging.DEBUG:
        sdk_level = _native.LogLevel.DEBUG
    elif level <= _logging.INFO:
        sdk_level = _native.LogLevel.INFO
    elif level <= _logging.WARNING:
        sdk_level = _native.LogLevel.WARN
    else:
        sdk_level = _native.LogLevel.ERROR
    _native.set_log_sink(_LoggingSink(), sdk_level)


def disable_logging() -> None:
    """Stops routing SDK records to ``logging`` (and to any other sink)."""
    _native.clear_log_sink()


# --- names kept for one release -------------------------------------------------------------

_RENAMED = {"EnrollmentObserver": "WaitObserver"}


def __getattr__(name: str) -> _typing.Any:
    """``EnrollmentObserver`` is the old name of ``WaitObserver``: it still works, with a
    ``DeprecationWarning``, until the next release."""
    if name in _RENAMED:
        import warnings

        new = _RENAMED[name]
        warnings.warn(f"authcloud.{name} is now authcloud.{new}", DeprecationWarning, stacklevel=2)
        return globals()[new]
    raise AttributeError(f"module 'authcloud' has no attribute {name!r}")
