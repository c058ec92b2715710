"""The guide's registration and login flows with authcloud's AsyncClient on FastAPI, as a
template that is safe to copy: the site's own accounts first, a phone only for the account
that is signed in, logins by push with number matching.

GET  /                    sign up / sign in / log in with your phone; signed in: the account
POST /signup              create an account (username + password, argon2id), signed in
POST /signin              sign in with the password
POST /signout             sign out
POST /register            "Add your phone": enroll the signed-in account, then the QR page
POST /verify              verify the phone (status + introspect), store userId + authenticatorId
POST /login               a push to the account's own phone, with a two-digit number to match
POST /login/api/v1/status the login page's status poll (answered here: see `login_status`)
POST /login/verify        verify the login, then a new signed-in session
POST /recovery-codes      issue the account's recovery codes and show them once
GET  /lost-phone          "Lost your phone?": the form for one recovery code
POST /recover             check the code; if right, remove the lost phone, then "Add your phone"

Every POST must come from this site: a per-session CSRF token in every form plus a
`Sec-Fetch-Site` / `Origin` check. Accounts, sessions, pending operations and rate limits
live in SQLite (`store.py`), so several processes on one database serve the same people.
The backend holds the access key; nothing secret is logged.

Run it with ./run.sh --port 8000 (embedded emulator), or with AUTHCLOUD_INSTANCE and
AUTHCLOUD_ACCESS_KEY set to use a real instance.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import html
import json
import logging
import os
import re
import secrets
import socket
import sys
import time
import uuid
from pathlib import Path
from typing import Optional
from urllib.parse import parse_qsl

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response

import authcloud
from store import SESSION_SECONDS, Account, Session, Store, UsernameTaken, hash_password, password_matches

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent / "web-shared"
POLLER = HERE.parent.parent / "web" / "dist" / "index.js"

SESSION_COOKIE = "authcloud_example_session"
MAX_USERNAME = 64
USERNAME_CHARS = re.compile(r"[A-Za-z0-9_.@-]+")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
MAX_BODY_BYTES = 64 * 1024
MAX_FIELDS = 20
POLL_INTERVAL_MS = authcloud.WaitOptions().poll_interval_ms  # the guide's 1.5 s, from the SDK

# Rate limits, per minute (window below), counted in the database for every process.
RATE_WINDOW_SECONDS = 60.0
SIGN_INS_PER_USERNAME = 5
SIGN_INS_PER_ADDRESS = 20
SIGN_UPS_PER_ADDRESS = 30
# Recovery codes typed, per account per quarter of an hour (the cloud has its own limit too).
RECOVERY_WINDOW_SECONDS = 15 * 60
MAX_RECOVERY_CODE = 100
# A login answers no sooner than this, whether the username is known (a push was sent) or
# not (nothing was): the answer's timing does not tell which.
LOGIN_ANSWER_FLOOR_SECONDS = 1.0

REGISTRATION = "registration"
LOGIN = "login"
LOGIN_NOTIFICATION = "Approve your login to the authcloud web example"

log = logging.getLogger("authcloud-example")


def render(name: str, **values: object) -> str:
    """Fills `{{key}}` placeholders with HTML-escaped values (the shared templates)."""
    text = (SHARED / "templates" / f"{name}.html").read_text()
    return re.sub(r"\{\{(\w+)\}\}", lambda m: html.escape(str(values.get(m.group(1), "")), quote=True), text)


# The poller's body, `{"statusToken": "<handle>"}`, read the same way by both backends.
HANDLE_IN_BODY = re.compile(r'"statusToken"\s*:\s*"([A-Za-z0-9_-]{1,100})"')


async def cloud_round_trip(backend: "Backend") -> None:
    """One status call that cannot succeed, for a login nothing was sent for: its answers
    then take as long as a real login's (which asks the cloud), so timing tells nothing."""
    try:
        await backend.client.status(authcloud.Secret(secrets.token_urlsafe(32)))
    except authcloud.AuthCloudError:
        pass


def login_message(number: int) -> str:
    """The push's message: the phone shows the same number as the page (number matching)."""
    return f"<html>Log in to the <b>authcloud web example</b>?<br>Check that the page shows <b>{number:02d}</b>.</html>"


class Backend:
    """The SDK client, the database, and where the browser polls."""

    def __init__(self, args: argparse.Namespace) -> None:
        instance = os.environ.get("AUTHCLOUD_INSTANCE")
        key = os.environ.get("AUTHCLOUD_ACCESS_KEY")
        transaction_ttl_ms = int(args.transaction_ttl * 1000)
        self.emulator: Optional[authcloud.Emulator] = None
        if instance and key:
            config = authcloud.ClientConfig(instance=instance, access_key=authcloud.Secret(key))
            self.public_base_url = f"https://{instance}.mauth.nevis.cloud"
            self.expires_in_ms = int(os.environ.get("AUTHCLOUD_TRANSACTION_TTL_MS", "300000"))
            self.mode = f"Using the Authentication Cloud instance {instance}."
        else:
            # AUTHCLOUD_ACCESS_KEY alone sets the emulator's key (handy for tests).
            access_key = authcloud.Secret(key) if key else None
            options = authcloud.EmulatorOptions(transaction_ttl_ms=transaction_ttl_ms, access_key=access_key)
            self.emulator = authcloud.Emulator.start(options)
            config = authcloud.ClientConfig(base_url=self.emulator.base_url(), access_key=self.emulator.access_key())
            self.public_base_url = self.emulator.base_url()
            log.info("embedded emulator: %s", self.public_base_url)
            self.expires_in_ms = transaction_ttl_ms
            self.mode = "Using the embedded emulator: open the deep link in a browser tab to play the phone."
        self.client = authcloud.AsyncClient(config)
        self.store = Store(args.database)
        self.pushes_per_account = args.pushes_per_account
        self.pushes_per_address = args.pushes_per_address
        self.recovery_attempts_per_account = args.recovery_attempts_per_account


# --- replies -------------------------------------------------------------------------------


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def reply(request: Request, status_code: int, title: str, message: str, state: str,
          headers: Optional[dict[str, str]] = None, **extra: object) -> Response:
    """The same outcome as JSON (for the page's script) or as a page (without JavaScript)."""
    if wants_json(request):
        return JSONResponse({"message": message, "state": state, **extra}, status_code=status_code, headers=headers)
    page = render("message", title=title, message=message, state=state)
    return HTMLResponse(page, status_code=status_code, headers=headers)


def set_session_cookie(request: Request, response: Response, cookie_value: str) -> None:
    response.set_cookie(SESSION_COOKIE, cookie_value, max_age=SESSION_SECONDS, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")


def client_address(request: Request) -> str:
    # Behind a reverse proxy, use the address it reports (and only if you trust it).
    return request.client.host if request.client else "unknown"


def posted_from_here(request: Request) -> bool:
    """A browser says where a request comes from: `Sec-Fetch-Site` (current browsers), else
    `Origin`. Only this site's own pages pass; a program that sends neither (curl, tests)
    passes this check but still needs the session's CSRF token."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return True
    host = request.headers.get("host", "")
    return origin in (f"http://{host}", f"https://{host}")


class TooLarge(Exception):
    pass


async def read_body(request: Request) -> bytes:
    """The body, refused beyond MAX_BODY_BYTES (the pages send a few hundred bytes)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise TooLarge()
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise TooLarge()
    return body


async def read_form(request: Request) -> dict[str, str]:
    """The url-encoded form of a POST (the pages send nothing else; any other body is an
    empty form); the last value of a name wins."""
    body = await read_body(request)
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        return {}
    try:
        # As the framework (and the Kotlin backend) read forms: bytes as latin-1, then %XX as UTF-8.
        return dict(parse_qsl(body.decode("latin-1"), keep_blank_values=True, max_num_fields=MAX_FIELDS))
    except ValueError:  # more fields than any page sends
        return {}


async def checked_post(request: Request) -> tuple[Optional[Session], dict[str, str], Optional[Response]]:
    """Every POST: from this site, with the session's CSRF token. Returns the session and the
    form, or the refusal to send."""
    if not posted_from_here(request):
        log.warning("refused a cross-site %s %s", request.method, request.url.path)
        return None, {}, reply(request, 403, "Refused", "This form was posted from another site.", "cross-site")
    try:
        form = await read_form(request)
    except TooLarge:
        return None, {}, reply(request, 413, "Request too large", "The request is larger than this example accepts.",
                               "bad-request")
    session = request.app.state.backend.store.session(request.cookies.get(SESSION_COOKIE))
    token = form.get("csrf", "")
    if session is None or not secrets.compare_digest(token.encode(), session.csrf_token.encode()):
        return None, form, reply(request, 403, "Session expired",
                                 "This page is out of date or your session expired. Go back and reload it.", "csrf")
    return session, form, None


def username_problem(username: str) -> Optional[str]:
    if not username:
        return "Please enter a username."
    if len(username) > MAX_USERNAME:
        return f"A username has at most {MAX_USERNAME} characters."
    if not USERNAME_CHARS.fullmatch(username):
        return "A username may use only letters, digits and _ . @ -"
    return None


def shown(username: str) -> str:
    """The username to show again in a form: not one too long to be one."""
    return username if len(username) <= MAX_USERNAME else ""


def bucket_name(username: str) -> str:
    """A rate-limit bucket's name for a typed username (case-insensitive, bounded)."""
    return username.lower()[:300]


def password_problem(password: str) -> Optional[str]:
    if len(password) < MIN_PASSWORD:
        return f"A password has at least {MIN_PASSWORD} characters."
    if len(password) > MAX_PASSWORD:
        return f"A password has at most {MAX_PASSWORD} characters."
    return None


def too_many(request: Request, wait_seconds: int, what: str) -> Response:
    return reply(request, 429, "Too many attempts", f"Too many {what}. Try again in {wait_seconds} seconds.",
                 "rate-limited", headers={"Retry-After": str(wait_seconds)})


# --- pages ---------------------------------------------------------------------------------


def front_page(backend: Backend, session: Session, status_code: int = 200, **values: object) -> HTMLResponse:
    """Signed out: sign up, sign in, log in with your phone. Signed in: the account."""
    account = session.account
    if account is None:
        page = render("index", csrf=session.csrf_token, mode=backend.mode, **values)
    else:
        phone = ("Your phone is linked (authenticator {}).".format(account.authenticator_id)
                 if account.has_phone else "No phone linked yet.")
        page = render("account", csrf=session.csrf_token, username=account.username, phone_state=phone,
                      phone_linked="yes" if account.has_phone else "no",
                      add_label="Add another phone" if account.has_phone else "Add your phone",
                      recovery_class="" if account.has_phone else "hidden", mode=backend.mode, **values)
    return HTMLResponse(page, status_code=status_code, headers={"Cache-Control": "no-store"})


def no_phone(request: Request, message: str) -> Response:
    return reply(request, 409, "No phone linked", message, "no-phone")


def lost_phone_page(backend: Backend, session: Session, account: Account, status_code: int = 200,
                    error: str = "") -> HTMLResponse:
    """"Lost your phone?": the form for one recovery code."""
    page = render("lost-phone", csrf=session.csrf_token, username=account.username,
                  authenticator_id=account.authenticator_id, recover_error=error, mode=backend.mode)
    return HTMLResponse(page, status_code=status_code, headers={"Cache-Control": "no-store"})


def retry_after_seconds(error: authcloud.AuthCloudError) -> int:
    """The cloud's Retry-After in whole seconds (rounded up), or its window when it said none."""
    retry_after_ms = getattr(error, "retry_after_ms", None)
    return max(1, -(-retry_after_ms // 1000)) if retry_after_ms is not None else RECOVERY_WINDOW_SECONDS


def signed_in_redirect(request: Request, backend: Backend, account_id: str, replacing: Session) -> Response:
    cookie_value, _ = backend.store.new_session(account_id, replacing)
    response = RedirectResponse("/", status_code=303)
    set_session_cookie(request, response, cookie_value)
    return response


async def verify_operation(backend: Backend, request: Request, flow: str) -> Response:
    """`POST /verify` and `POST /login/verify`: the session's own operation, once."""
    noun = {REGISTRATION: "registration", LOGIN: "login"}[flow]
    session, form, refused = await checked_post(request)
    if refused:
        return refused
    operation = backend.store.operation(session, form.get("operation", ""))
    if operation is None or operation.flow != flow:
        return reply(request, 401, f"No {noun} in progress",
                     f"This browser has no {noun} in progress (it may have expired). Start again.", "no-session")
    if flow == REGISTRATION and (session.account is None or session.account.id != operation.account_id):
        return reply(request, 401, "Sign in first", "Only the account that started it can link this phone.", "no-session")
    if not backend.store.claim(operation.id):
        current = backend.store.operation(session, operation.id)
        state = "in-progress" if current is not None and current.state == "verifying" else "replayed"
        return reply(request, 409, "Already done", f"This {noun} was already verified or is being verified.", state)
    done = False
    try:
        if operation.status_token is None:
            # A login for an unknown username: nothing was sent, so nothing can be confirmed.
            await cloud_round_trip(backend)
            return reply(request, 409, "Not confirmed",
                         f"The {noun} has not been confirmed on the phone (or was declined).", "not-confirmed")
        try:
            # Bound to the ids this operation got from enroll or approve.
            verified = await backend.client.verify(
                authcloud.Secret(operation.status_token),
                expected_user_id=operation.cloud_user_id,
                expected_transaction_id=operation.transaction_id,
            )
        except authcloud.AuthCloudError.NotVerified as error:
            log.warning("%s verification refused: %s", noun, error.check.name)
            return reply(request, 409, "Not confirmed",
                         f"The {noun} has not been confirmed on the phone (or was declined).", "not-confirmed")
        except authcloud.AuthCloudError as error:
            log.warning("%s verification failed: %s", noun, type(error).__name__)
            return reply(request, 502, "Verification unavailable",
                         f"The Authentication Cloud could not verify it: {error}", "error")
        if flow == REGISTRATION:
            try:
                user = await backend.client.get_user(verified.user_id)
            except authcloud.AuthCloudError as error:
                log.warning("registration verified, but the user could not be read: %s", type(error).__name__)
                return reply(request, 502, "Verification unavailable",
                             f"The Authentication Cloud could not list the phone: {error}", "error")
            # The phone this enrollment added: the one id that was not there when it started.
            # None or several (another enrollment for the user in between): link nothing.
            known = set((operation.known_authenticators or "").split())
            new = [a.authenticator_id for a in user.authenticators if a.authenticator_id not in known]
            if len(new) != 1:
                log.warning("registration verified, but %d new authenticators: none linked", len(new))
                return reply(request, 409, "Not linked",
                             "The phone could not be told apart from another one added at the same time. Start again.",
                             "ambiguous")
            backend.store.link_phone(operation.account_id, verified.user_id, new[0])
            # This session holds the phone now: it may create recovery codes.
            backend.store.prove_phone(session.id)
            done = True
            log.info("registration verified: user %r, authenticator %r", verified.user_id, new[0])
            return reply(request, 200, "Registered", "Your phone is linked to your account.", "registered",
                         userId=verified.user_id, authenticatorId=new[0])
        # A login: sign this browser in as the account, in a new session.
        done = True
        log.info("login verified: user %r", verified.user_id)
        account_name = backend.store.account_name(operation.account_id)
        response = reply(request, 200, "Logged in", f"You are logged in as {account_name}.", "logged-in",
                         username=account_name)
        cookie_value, signed_in = backend.store.new_session(operation.account_id, session)
        backend.store.prove_phone(signed_in.id)
        set_session_cookie(request, response, cookie_value)
        return response
    finally:
        backend.store.release(operation.id, done)


async def start_registration(backend: Backend, request: Request, session: Session, account: Account) -> Response:
    """"Add your phone" for the signed-in `account`: enroll, then the QR code page."""
    try:
        # The account's random id, never what the person typed: no personal data leaves.
        if account.cloud_user_id:
            # The phones the user has now, to tell the new one after verify.
            current = await backend.client.get_user(account.cloud_user_id)
            known = " ".join(a.authenticator_id for a in current.authenticators)
            enrolled = await backend.client.enroll(user_id=account.cloud_user_id)
        else:
            known = ""
            enrolled = await backend.client.enroll(username=account.id)
    except authcloud.AuthCloudError as error:
        log.warning("enroll failed: %s", type(error).__name__)
        return reply(request, 502, "Registration unavailable",
                     f"The Authentication Cloud could not start it: {error}", "error")
    enrollment = enrolled.enrollment
    operation_id = backend.store.add_operation(
        session, REGISTRATION, account.id, enrolled.user.user_id, enrollment.transaction_id,
        enrollment.status_token.reveal(), None, backend.expires_in_ms / 1000 + 60, known)
    log.info("registration started: user %r, transaction %r", enrolled.user.user_id, enrollment.transaction_id)
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
        username=account.username,
        csrf=session.csrf_token,
        operation=operation_id,
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
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})


def create_app(backend: Backend) -> FastAPI:
    app = FastAPI(title="authcloud web example", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.backend = backend
    store = backend.store

    @app.get("/", response_class=HTMLResponse)
    async def index(request: Request) -> Response:
        session = store.session(request.cookies.get(SESSION_COOKIE))
        if session is not None:
            return front_page(backend, session)
        cookie_value, session = store.new_session(None)
        response = front_page(backend, session)
        set_session_cookie(request, response, cookie_value)
        return response

    @app.post("/signup")
    async def signup(request: Request) -> Response:
        session, form, refused = await checked_post(request)
        if refused:
            return refused
        username = form.get("username", "").strip()
        password = form.get("password", "")
        problem = username_problem(username) or password_problem(password)
        if problem:
            return front_page(backend, session, 400, signup_error=problem, signup_username=shown(username))
        wait = store.take([(f"signup:address:{client_address(request)}", SIGN_UPS_PER_ADDRESS)], RATE_WINDOW_SECONDS)
        if wait is not None:
            return too_many(request, wait, "sign-ups")
        password_hash = await asyncio.to_thread(hash_password, password)
        try:
            account = store.create_account(username, password_hash)
        except UsernameTaken:
            return front_page(backend, session, 409, signup_error="That username is taken. Sign in, or pick another.",
                              signup_username=username)
        log.info("account created: %r", account.id)
        return signed_in_redirect(request, backend, account.id, session)

    @app.post("/signin")
    async def signin(request: Request) -> Response:
        session, form, refused = await checked_post(request)
        if refused:
            return refused
        username = form.get("username", "").strip()
        password = form.get("password", "")
        wait = store.take([(f"signin:user:{bucket_name(username)}", SIGN_INS_PER_USERNAME),
                           (f"signin:address:{client_address(request)}", SIGN_INS_PER_ADDRESS)], RATE_WINDOW_SECONDS)
        if wait is not None:
            return too_many(request, wait, "sign-in attempts")
        account, password_hash = store.account_for_sign_in(username)
        # Hashed even for an unknown name or an overlong password: the same work either way.
        matches = await asyncio.to_thread(password_matches, password_hash, password[:MAX_PASSWORD])
        if account is None or not matches or len(password) > MAX_PASSWORD:
            return front_page(backend, session, 401, signin_error="Wrong username or password.",
                              signin_username=shown(username))
        log.info("signed in: %r", account.id)
        return signed_in_redirect(request, backend, account.id, session)

    @app.post("/signout")
    async def signout(request: Request) -> Response:
        session, _, refused = await checked_post(request)
        if refused:
            return refused
        store.end_session(session)
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.post("/register")
    async def register(request: Request) -> Response:
        session, _, refused = await checked_post(request)
        if refused:
            return refused
        account = session.account
        if account is None:
            # The guide: link a phone only to an account that authenticated strongly first.
            return reply(request, 401, "Sign in first", "Sign in to add a phone to your account.", "not-signed-in")
        return await start_registration(backend, request, session, account)

    @app.post("/verify")
    async def verify(request: Request) -> Response:
        return await verify_operation(backend, request, REGISTRATION)

    @app.post("/login")
    async def login(request: Request) -> Response:
        started = time.monotonic()
        session, form, refused = await checked_post(request)
        if refused:
            return refused
        username = form.get("username", "").strip()
        problem = username_problem(username)
        if problem:
            return front_page(backend, session, 400, login_error=problem, login_username=shown(username))
        # Counted by the name typed, known or not, so the limit itself tells nothing.
        wait = store.take([(f"push:user:{bucket_name(username)}", backend.pushes_per_account),
                           (f"push:address:{client_address(request)}", backend.pushes_per_address)],
                          RATE_WINDOW_SECONDS)
        if wait is not None:
            return too_many(request, wait, "login requests")
        account = store.account_by_username(username)
        number = 10 + secrets.randbelow(90)
        user_id = transaction_id = status_token = None
        if account is not None and account.has_phone:
            try:
                # The account's own phone, by its stored ids; never "the newest" of the user.
                approval = await backend.client.approve(authcloud.ApprovalRequest(
                    user_id=account.cloud_user_id,
                    authenticator_id=account.authenticator_id,
                    channel=authcloud.ApprovalChannel.PUSH,
                    prompt=True,
                    message=login_message(number),
                    notification_message=LOGIN_NOTIFICATION,
                ))
            except authcloud.AuthCloudError as error:
                log.warning("login failed to start: %s", type(error).__name__)
                return reply(request, 502, "Login unavailable",
                             f"The Authentication Cloud could not start it: {error}", "error")
            user_id, transaction_id = account.cloud_user_id, approval.transaction_id
            status_token = approval.status_token.reveal()
            log.info("login started: user %r, transaction %r", user_id, transaction_id)
        operation_id = store.add_operation(session, LOGIN, account.id if account and user_id else None, user_id,
                                           transaction_id, status_token, number, backend.expires_in_ms / 1000)
        # The simulated phone's page (embedded emulator only); a made-up one for unknown names.
        phone_url = (f"{backend.public_base_url}/phone/{user_id or uuid.uuid4()}"
                     if backend.emulator is not None else "")
        page = render(
            "login",
            username=username,
            csrf=session.csrf_token,
            operation=operation_id,
            number=f"{number:02d}",
            poll_interval_ms=POLL_INTERVAL_MS,
            expires_in_ms=backend.expires_in_ms,
            phone_url=phone_url,
            phone_class="" if phone_url else "hidden",
        )
        await asyncio.sleep(max(0.0, LOGIN_ANSWER_FLOOR_SECONDS - (time.monotonic() - started)))
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    @app.post("/login/api/v1/status")
    async def login_status(request: Request) -> Response:
        """The login page polls here (the status poller with this site as its base URL), not
        the cloud: the status token stays on the server, and a login for an unknown username
        (nothing sent) stays `pending` until it expires, exactly like one nobody approves."""
        if not posted_from_here(request):
            return JSONResponse({"message": "refused"}, status_code=403)
        try:
            found = HANDLE_IN_BODY.search((await read_body(request)).decode("latin-1"))
        except TooLarge:
            found = None
        # The handle is as unguessable as a status token and, like one, enough to poll with
        # (the poller sends no cookies); verifying needs the session as well.
        operation = store.operation_by_id(found.group(1)) if found else None
        if operation is None or operation.flow != LOGIN:
            return JSONResponse({"status": "unknown"})
        if operation.status_token is None:
            await cloud_round_trip(backend)
            status = "pending" if time.time() < operation.expires_at else "failed"
            return JSONResponse({"status": status})
        try:
            answer = await backend.client.status(authcloud.Secret(operation.status_token))
        except authcloud.AuthCloudError as error:
            log.warning("login status failed: %s", type(error).__name__)
            return JSONResponse({"message": "status unavailable"}, status_code=503, headers={"Retry-After": "2"})
        return JSONResponse({"status": answer.status_text})

    @app.post("/login/verify")
    async def login_verify(request: Request) -> Response:
        return await verify_operation(backend, request, LOGIN)

    @app.post("/recovery-codes")
    async def recovery_codes(request: Request) -> Response:
        session, _, refused = await checked_post(request)
        if refused:
            return refused
        account = session.account
        if account is None:
            return reply(request, 401, "Sign in first", "Sign in to create recovery codes.", "not-signed-in")
        if not account.has_phone:
            return no_phone(request, "Add your phone first: recovery codes are for replacing it when it is lost.")
        if not store.proved_phone(session):
            # The codes stand in for the phone: a password alone must not mint them.
            return reply(request, 403, "Use your phone first",
                         "Recovery codes stand in for your phone, so only a session that used the phone can create "
                         "them: sign out, log in with your phone, then create them.", "phone-needed")
        try:
            # A new set replaces the old one in the cloud. Shown once, below; never stored here.
            issued = await backend.client.request_recovery_codes(user_id=account.cloud_user_id)
        except authcloud.AuthCloudError as error:
            log.warning("recovery codes failed: %s", type(error).__name__)
            return reply(request, 502, "Recovery codes unavailable",
                         f"The Authentication Cloud could not issue them: {error}", "error")
        log.info("recovery codes issued: user %r, %d codes", account.cloud_user_id, len(issued.codes))
        page = render("recovery-codes", username=account.username, count=len(issued.codes),
                      codes="\n".join(code.reveal() for code in issued.codes))
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    @app.get("/lost-phone", response_class=HTMLResponse)
    async def lost_phone(request: Request) -> Response:
        session = store.session(request.cookies.get(SESSION_COOKIE))
        account = session.account if session is not None else None
        if account is None:
            return reply(request, 401, "Sign in first",
                         "Sign in with your password first; then you can replace a lost phone.", "not-signed-in")
        if not account.has_phone:
            return no_phone(request, "This account has no phone linked: there is nothing to replace. "
                                     "Add your phone from your account page.")
        return lost_phone_page(backend, session, account)

    @app.post("/recover")
    async def recover(request: Request) -> Response:
        """A recovery code from a signed-in account (the password is the first factor): if it
        is right, the lost phone is removed from the cloud and the account, every other
        session of the account ends, and the page to add the new phone follows."""
        session, form, refused = await checked_post(request)
        if refused:
            return refused
        account = session.account
        if account is None:
            return reply(request, 401, "Sign in first",
                         "Sign in with your password first; then you can replace a lost phone.", "not-signed-in")
        if not account.has_phone:
            return no_phone(request, "This account has no phone linked: there is nothing to replace. "
                                     "Add your phone from your account page.")
        # Every code typed counts, right or wrong, before anything is sent.
        wait = store.take([(f"recovery:account:{account.id}", backend.recovery_attempts_per_account)],
                          RECOVERY_WINDOW_SECONDS)
        if wait is not None:
            return too_many(request, wait, "recovery codes")
        code = "".join(form.get("code", "").split())  # spaces typed between groups are no part of it
        if not code or len(code) > MAX_RECOVERY_CODE:
            return lost_phone_page(backend, session, account, 400, "Please enter one of your recovery codes.")
        try:
            verdict = await backend.client.verify_code(
                account.cloud_user_id, authcloud.CodeCheck.RECOVERY(code=authcloud.Secret(code)))
        except authcloud.AuthCloudError.InvalidInput:
            return lost_phone_page(backend, session, account, 400, "A recovery code is 16 letters and digits.")
        except authcloud.AuthCloudError.RateLimited as error:
            log.warning("recovery code not checked: the cloud's limit")
            return too_many(request, retry_after_seconds(error), "recovery codes")
        except authcloud.AuthCloudError as error:
            log.warning("recovery code check failed: %s", type(error).__name__)
            return reply(request, 502, "Check unavailable",
                         f"The Authentication Cloud could not check the code: {error}", "error")
        if verdict != authcloud.CodeVerdict.CORRECT:
            log.warning("recovery code refused: user %r", account.cloud_user_id)
            return lost_phone_page(backend, session, account, 401,
                                   "That is not one of your recovery codes, or it was used already. Nothing was changed.")
        log.info("recovery code accepted: user %r", account.cloud_user_id)
        try:
            # The lost phone can approve nothing any more (NotFound: it was gone already).
            await backend.client.delete_authenticator(account.authenticator_id)
        except authcloud.AuthCloudError as error:
            log.warning("lost phone not removed: %s", type(error).__name__)
            return reply(request, 502, "Phone not removed",
                         "Your code was right (and is now used up), but the Authentication Cloud could not remove "
                         f"the lost phone: {error} Try again with another code.", "error")
        store.unlink_phone(account.id, account.authenticator_id)
        # Whoever has the lost phone may have logged in with it: signed out everywhere else.
        ended = store.end_other_sessions(account.id, session)
        log.info("lost phone removed: user %r, authenticator %r, %d other sessions ended",
                 account.cloud_user_id, account.authenticator_id, ended)
        # Straight on to "Add your phone" for the new one (the same cloud user).
        return await start_registration(backend, request, session,
                                        dataclasses.replace(account, authenticator_id=None))

    @app.get("/static/authcloud-poller.js")
    async def poller() -> Response:
        if not POLLER.is_file():
            return HTMLResponse(render("message", title="Not found", message="There is no such file.",
                                       state="not-found"), status_code=404)
        return FileResponse(POLLER, media_type="text/javascript")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        # Only the kind: a message could quote a request. (503, as the Kotlin backend answers.)
        log.warning("request failed: %s", type(error).__name__)
        return PlainTextResponse("This example could not answer the request (see its log).", status_code=503)

    @app.get("/static/{name}")
    async def static(name: str) -> Response:
        path = SHARED / "static" / name
        if name not in {"phone-confirmation.js", "style.css"} or not path.is_file():
            return HTMLResponse(render("message", title="Not found", message="There is no such file.",
                                       state="not-found"), status_code=404)
        media = "text/javascript" if name.endswith(".js") else "text/css"
        return FileResponse(path, media_type=media)

    return app


async def serve(port: int, host: str, backend: Backend) -> None:
    # No X-Forwarded-* trusted (uvicorn would trust them from loopback): the client address
    # of the rate limits and the scheme of the Secure cookie are the connection's own. Behind
    # a reverse proxy, configure which one to trust.
    config = uvicorn.Config(create_app(backend), log_level="info", access_log=True, lifespan="off",
                            proxy_headers=False)
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
    parser.add_argument("--database", type=Path, default=Path(os.environ.get("AUTHCLOUD_EXAMPLE_DATABASE", HERE / "accounts.sqlite3")),
                        help="the SQLite file with accounts and sessions (created on first start)")
    parser.add_argument("--transaction-ttl", type=float, default=300.0, metavar="SECONDS",
                        help="embedded emulator: how long a registration or login waits for the phone")
    parser.add_argument("--pushes-per-account", type=int, default=3, metavar="N",
                        help="login pushes per username per minute")
    parser.add_argument("--pushes-per-address", type=int, default=10, metavar="N",
                        help="login pushes per client address per minute")
    parser.add_argument("--recovery-attempts-per-account", type=int, default=5, metavar="N",
                        help="recovery codes an account may try per 15 minutes")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    backend = Backend(args)
    log.info("database: %s", args.database.resolve())
    try:
        asyncio.run(serve(args.port, args.host, backend))
    except KeyboardInterrupt:
        pass
    finally:
        if backend.emulator is not None:
            backend.emulator.stop()


if __name__ == "__main__":
    main()
