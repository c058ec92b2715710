"""The guide's web flow with authcloud's AsyncClient on FastAPI.

GET  /              the username forms (register, or log in when already registered)
POST /register      enroll, then a page with the QR code, the deep link and the status poller
POST /verify        verify (status + introspect) bound to this session's user and transaction
POST /login         a push approval with a prompt to the user's phone, then a page with the poller
POST /login/verify  verify the login the same way

The backend holds the access key; the browser only ever sees the status token (it polls the
status endpoint itself, as the guide says). Status tokens and the ids to expect live in a
server-side session keyed by a random cookie; nothing secret is ever logged.

Run it with ./run.sh --port 8000 (embedded emulator), or with AUTHCLOUD_INSTANCE and
AUTHCLOUD_ACCESS_KEY set to use a real instance.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import logging
import os
import re
import secrets
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import uvicorn
from fastapi import FastAPI, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

import authcloud

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent / "web-shared"
POLLER = HERE.parent.parent / "web" / "dist" / "index.js"

SESSION_COOKIE = "authcloud_example_session"
SESSION_TTL_SECONDS = 30 * 60
MAX_SESSIONS = 10_000
MAX_USERNAME = 300
USERNAME_CHARS = re.compile(r"[A-Za-z0-9_.@-]+")
POLL_INTERVAL_MS = authcloud.WaitOptions().poll_interval_ms  # the guide's 1.5 s, from the SDK

log = logging.getLogger("authcloud-example")


def render(name: str, **values: object) -> str:
    """Fills `{{key}}` placeholders with HTML-escaped values (the shared templates)."""
    text = (SHARED / "templates" / f"{name}.html").read_text()
    return re.sub(r"\{\{(\w+)\}\}", lambda m: html.escape(str(values.get(m.group(1), "")), quote=True), text)


REGISTRATION = "registration"
LOGIN = "login"
LOGIN_MESSAGE = "<html>Log in to the <b>authcloud web example</b>?</html>"
LOGIN_NOTIFICATION = "Approve your login to the authcloud web example"


@dataclass
class Operation:
    """What this browser session started (a registration or a login): kept on the server,
    never in a log."""

    flow: str
    username: str
    user_id: str
    transaction_id: str
    status_token: authcloud.Secret
    created: float
    verified_user: Optional[str] = None


class Sessions:
    """In-memory sessions with a lifetime and a cap (a real app would use its own store)."""

    def __init__(self) -> None:
        self._items: dict[str, Operation] = {}

    def create(self, operation: Operation) -> str:
        self._expire()
        while len(self._items) >= MAX_SESSIONS:
            self._items.pop(next(iter(self._items)))
        session_id = secrets.token_urlsafe(32)
        self._items[session_id] = operation
        return session_id

    def get(self, session_id: Optional[str]) -> Optional[Operation]:
        self._expire()
        return self._items.get(session_id) if session_id else None

    def _expire(self) -> None:
        now = time.monotonic()
        for key in [k for k, r in self._items.items() if now - r.created > SESSION_TTL_SECONDS]:
            del self._items[key]


class Backend:
    """The SDK client, the place the browser polls, and the sessions."""

    def __init__(self, transaction_ttl_ms: int) -> None:
        instance = os.environ.get("AUTHCLOUD_INSTANCE")
        key = os.environ.get("AUTHCLOUD_ACCESS_KEY")
        self.emulator: Optional[authcloud.Emulator] = None
        if instance and key:
            config = authcloud.ClientConfig(instance=instance, access_key=authcloud.Secret(key))
            self.public_base_url = f"https://{instance}.mauth.nevis.cloud"
            self.expires_in_ms = int(os.environ.get("AUTHCLOUD_TRANSACTION_TTL_MS", "0"))
            self.mode = f"Using the Authentication Cloud instance {instance}."
        else:
            # AUTHCLOUD_ACCESS_KEY alone sets the emulator's key (handy for tests).
            access_key = authcloud.Secret(key) if key else None
            options = authcloud.EmulatorOptions(transaction_ttl_ms=transaction_ttl_ms, access_key=access_key)
            self.emulator = authcloud.Emulator.start(options)
            config = authcloud.ClientConfig(base_url=self.emulator.base_url(), access_key=self.emulator.access_key())
            self.public_base_url = self.emulator.base_url()
            self.expires_in_ms = transaction_ttl_ms
            self.mode = "Using the embedded emulator: open the deep link in a browser tab to play the phone."
        self.client = authcloud.AsyncClient(config)
        self.sessions = Sessions()


def message_page(status_code: int, title: str, message: str, state: str) -> HTMLResponse:
    return HTMLResponse(render("message", title=title, message=message, state=state), status_code=status_code)


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def reply(request: Request, status_code: int, title: str, message: str, state: str, **extra: object) -> Response:
    """The same outcome as JSON (for the page's script) or as a page (without JavaScript)."""
    if wants_json(request):
        return JSONResponse({"message": message, "state": state, **extra}, status_code=status_code)
    return message_page(status_code, title, message, state)


def username_problem(username: str) -> Optional[str]:
    if not username:
        return "Please enter a username."
    if len(username) > MAX_USERNAME:
        return f"A username has at most {MAX_USERNAME} characters."
    if not USERNAME_CHARS.fullmatch(username):
        return "A username may use only letters, digits and _ . @ -"
    return None


def with_session(page: str, operation: Operation, backend: Backend) -> HTMLResponse:
    """The waiting page, with a new session cookie for the operation it waits for."""
    session_id = backend.sessions.create(operation)
    response = HTMLResponse(page, headers={"Cache-Control": "no-store"})
    response.set_cookie(SESSION_COOKIE, session_id, max_age=SESSION_TTL_SECONDS, httponly=True, samesite="lax", path="/")
    return response


# What a verify reply says, per flow: (title, message, state) on success.
DONE = {
    REGISTRATION: ("Registered", "Your phone is linked to user {user_id}.", "registered"),
    LOGIN: ("Logged in", "You are logged in as {username} (user {user_id}).", "logged-in"),
}
NOUNS = {REGISTRATION: "registration", LOGIN: "login"}


async def verify_operation(backend: Backend, request: Request, flow: str, status_token: str) -> Response:
    """`POST /verify` and `POST /login/verify`: the session's own operation, bound to its ids."""
    noun = NOUNS[flow]
    operation = backend.sessions.get(request.cookies.get(SESSION_COOKIE))
    if operation is None or operation.flow != flow:
        return reply(request, 401, f"No {noun} in progress",
                     f"This browser has no {noun} in progress (it may have expired). Start again.", "no-session")
    if not status_token:
        return reply(request, 400, "Nothing to verify", "The request carried no status token.", "bad-request")
    if operation.verified_user is not None:
        return reply(request, 409, "Already done",
                     f"This {noun} was already verified for user {operation.verified_user}.", "replayed")
    if not secrets.compare_digest(status_token.encode(), operation.status_token.reveal().encode()):
        log.warning("%s verification refused: a status token from another operation", noun)
        return reply(request, 403, f"Not your {noun}", f"That confirmation belongs to another {noun}, not to yours.", "foreign")
    try:
        # Bound to the ids this session got from enroll or approve: defence in depth over the
        # token comparison above, and the only check when a backend keeps no token.
        verified = await backend.client.verify(
            authcloud.Secret(status_token),
            expected_user_id=operation.user_id,
            expected_transaction_id=operation.transaction_id,
        )
    except authcloud.AuthCloudError.NotVerified as error:
        foreign = error.check in (authcloud.VerificationCheck.USER_MISMATCH, authcloud.VerificationCheck.TRANSACTION_MISMATCH)
        log.warning("%s verification refused: %s", noun, error.check.name)
        if foreign:
            return reply(request, 403, f"Not your {noun}", f"That confirmation belongs to another {noun}, not to yours.", "foreign")
        return reply(request, 409, "Not confirmed",
                     f"The {noun} has not been confirmed on the phone (or was declined).", "not-confirmed")
    except authcloud.AuthCloudError as error:
        log.warning("%s verification failed: %s", noun, type(error).__name__)
        return reply(request, 502, "Verification unavailable", f"The Authentication Cloud could not verify it: {error}", "error")
    operation.verified_user = verified.user_id
    # Here a real application links verified.user_id to its own account record (registration)
    # or signs the browser in as that account (login).
    log.info("%s verified: user %r", noun, verified.user_id)
    title, message, state = DONE[flow]
    text = message.format(user_id=verified.user_id, username=verified.username or operation.username)
    return reply(request, 200, title, text, state, userId=verified.user_id, username=verified.username or operation.username)


def create_app(backend: Backend) -> FastAPI:
    app = FastAPI(title="authcloud web example", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/", response_class=HTMLResponse)
    async def index() -> HTMLResponse:
        return HTMLResponse(render("index", mode=backend.mode))

    @app.post("/register")
    async def register(username: str = Form("")) -> Response:
        username = username.strip()
        problem = username_problem(username)
        if problem:
            shown = username if len(username) <= MAX_USERNAME else ""
            return HTMLResponse(render("index", error=problem, username=shown, mode=backend.mode), status_code=400)
        try:
            enrolled = await backend.client.enroll(username=username)
        except authcloud.AuthCloudError.InvalidInput as error:
            return HTMLResponse(render("index", error=str(error), username=username, mode=backend.mode), status_code=400)
        except authcloud.AuthCloudError as error:
            log.warning("enroll failed: %s", type(error).__name__)
            return message_page(502, "Registration unavailable", f"The Authentication Cloud could not start it: {error}", "error")

        enrollment = enrolled.enrollment
        registration = Operation(
            flow=REGISTRATION,
            username=username,
            user_id=enrolled.user.user_id,
            transaction_id=enrollment.transaction_id,
            status_token=enrollment.status_token,
            created=time.monotonic(),
        )
        log.info("registration started: user %r, transaction %r", registration.user_id, registration.transaction_id)

        qr = enrollment.qr_code
        try:
            qr.png()  # only a real PNG goes into the <img>
            qr_uri, qr_problem = qr.data_uri(), ""
        except authcloud.AuthCloudError as error:
            qr_uri, qr_problem = "", str(error)
        link = enrollment.app_link_uri
        href = link.href() if link.is_valid() else ""
        page = render(
            "register",
            username=username,
            base_url=backend.public_base_url,
            status_token=enrollment.status_token.reveal(),
            poll_interval_ms=POLL_INTERVAL_MS,
            expires_in_ms=backend.expires_in_ms,
            qr_data_uri=qr_uri,
            qr_class="" if qr_uri else "hidden",
            qr_missing_class="hidden" if qr_uri else "",
            qr_problem=qr_problem,
            deep_link=href,
            link_class="" if href else "hidden",
            link_missing_class="hidden" if href else "",
            link_problem=link.problem() or "",
        )
        return with_session(page, registration, backend)

    @app.post("/verify")
    async def verify(request: Request, statusToken: str = Form("")) -> Response:  # noqa: N803 (the guide's name)
        return await verify_operation(backend, request, REGISTRATION, statusToken)

    @app.post("/login")
    async def login(username: str = Form("")) -> Response:
        username = username.strip()

        def refused(status_code: int, problem: str) -> HTMLResponse:
            shown = username if len(username) <= MAX_USERNAME else ""
            page = render("index", login_error=problem, login_username=shown, mode=backend.mode)
            return HTMLResponse(page, status_code=status_code)

        problem = username_problem(username)
        if problem:
            return refused(400, problem)
        try:
            # Asking first gives the person a precise answer; approve() below would refuse
            # both cases too (404 / 400), only less readably.
            user = await backend.client.find_user(username)
            if user is None:
                return refused(404, f"Nobody is registered as {username}. Register first.")
            if not user.authenticators:
                return refused(409, f"{username} has no phone registered any more. Register again.")
            approval = await backend.client.approve(authcloud.ApprovalRequest(
                user_id=user.user_id,
                channel=authcloud.ApprovalChannel.PUSH,
                prompt=True,
                message=LOGIN_MESSAGE,
                notification_message=LOGIN_NOTIFICATION,
            ))
        except authcloud.AuthCloudError as error:
            log.warning("login failed to start: %s", type(error).__name__)
            return message_page(502, "Login unavailable", f"The Authentication Cloud could not start it: {error}", "error")
        login_operation = Operation(
            flow=LOGIN,
            username=username,
            user_id=user.user_id,
            transaction_id=approval.transaction_id,
            status_token=approval.status_token,
            created=time.monotonic(),
        )
        log.info("login started: user %r, transaction %r", user.user_id, approval.transaction_id)
        phone_url = f"{backend.public_base_url}/phone/{user.user_id}" if backend.emulator is not None else ""
        page = render(
            "login",
            username=username,
            base_url=backend.public_base_url,
            status_token=approval.status_token.reveal(),
            poll_interval_ms=POLL_INTERVAL_MS,
            expires_in_ms=backend.expires_in_ms,
            phone_url=phone_url,
            phone_class="" if phone_url else "hidden",
        )
        return with_session(page, login_operation, backend)

    @app.post("/login/verify")
    async def login_verify(request: Request, statusToken: str = Form("")) -> Response:  # noqa: N803
        return await verify_operation(backend, request, LOGIN, statusToken)

    @app.get("/static/authcloud-poller.js")
    async def poller() -> FileResponse:
        return FileResponse(POLLER, media_type="text/javascript")

    @app.get("/static/{name}")
    async def static(name: str) -> Response:
        path = SHARED / "static" / name
        if name not in {"phone-confirmation.js", "style.css"} or not path.is_file():
            return message_page(404, "Not found", "There is no such file.", "not-found")
        media = "text/javascript" if name.endswith(".js") else "text/css"
        return FileResponse(path, media_type=media)

    return app


async def serve(port: int, host: str, backend: Backend) -> None:
    config = uvicorn.Config(create_app(backend), log_level="info", access_log=True, lifespan="off")
    server = uvicorn.Server(config)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    # Bound and listening: connections queue until the server takes them, so say so now.
    print(f"listening on http://{host}:{sock.getsockname()[1]}", flush=True)
    await server.serve(sockets=[sock])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8000, help="TCP port on 127.0.0.1 (0 = any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--transaction-ttl", type=float, default=300.0, metavar="SECONDS",
                        help="embedded emulator: how long a registration waits for the phone")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    backend = Backend(transaction_ttl_ms=int(args.transaction_ttl * 1000))
    try:
        asyncio.run(serve(args.port, args.host, backend))
    except KeyboardInterrupt:
        pass
    finally:
        if backend.emulator is not None:
            backend.emulator.stop()


if __name__ == "__main__":
    main()
