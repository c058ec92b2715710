"""The web examples as a person uses them, in a real browser, and as an attacker tries them.

A person signs up (username and password), presses "Add your phone", sees the QR code and
the deep link; the phone (a second tab on the emulator's deep-link page) approves or
declines; the page says "Registered" (verified by the backend, which then stores the
Authentication Cloud userId and authenticatorId). After signing out, "Log in with your
phone" pushes to that phone with a two-digit number the page and the phone both show; the
simulated phone (`/phone/{userId}`) approves and the page says "Logged in".

The attacker: a stranger who types someone else's name, a page on another site posting the
forms, a flood of login requests, two verifies at once, a second process on one database.
"""

from __future__ import annotations

import base64
import concurrent.futures
import contextlib
import io
import os
import re
import shutil
import statistics
import subprocess
import time
import uuid
from typing import Iterator

import httpx
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from conftest import ACCESS_KEY, BACKENDS, REPO, TRANSACTION_TTL_SECONDS, start_backend, stop_backend

STATUS_PATH = "/api/v1/status"
SCREENSHOTS = REPO / "docs"
PASSWORD = "correct horse battery staple"
# The emulator's control API answers only requests with this header (a page cannot send it
# cross-site); the phone's buttons are pressed in the browser, as a person does.
EMULATOR_CONTROL = {"X-Emulator-Control": "1"}
JSON_ACCEPT = {"Accept": "application/json"}
CROSS_SITE = {"Origin": "https://attacker.example", "Sec-Fetch-Site": "cross-site"}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def decode_qr(data_uri: str) -> str:
    header, payload = data_uri.split(",", 1)
    assert header == "data:image/png;base64", header
    image = Image.open(io.BytesIO(base64.b64decode(payload)))
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1, f"{len(found)} QR codes in the image"
    return found[0].text


# --- the emulator, seen from the test --------------------------------------------------------


def emulator_log(backend) -> list[dict]:
    return httpx.get(f"{backend.emulator_url}/_emulator/requests", timeout=10, headers=EMULATOR_CONTROL).json()


def sent(backend, path: str, after_seq: int) -> list[dict]:
    return [r for r in emulator_log(backend) if r["seq"] > after_seq and r["path"] == path and r["method"] == "POST"]


def last_seq(backend) -> int:
    return max((r["seq"] for r in emulator_log(backend)), default=-1)


def cloud_user(backend, user_id: str) -> dict:
    response = httpx.get(f"{backend.emulator_url}/api/v1/users/{user_id}",
                         headers={"Authorization": f"Bearer {ACCESS_KEY}"}, timeout=10)
    response.raise_for_status()
    return response.json()


def pending_approvals(backend, user_id: str) -> list[dict]:
    return httpx.get(f"{backend.emulator_url}/_emulator/users/{user_id}/approvals", timeout=10,
                     headers=EMULATOR_CONTROL).json()


def browser_polls(backend, after_seq: int) -> list[dict]:
    """Status requests the page (not the backend's SDK) sent to the cloud after `after_seq`."""
    return [
        r for r in emulator_log(backend)
        if r["seq"] > after_seq and r["path"] == STATUS_PATH and r["method"] == "POST"
        and "Mozilla" in r["headers"].get("user-agent", "")
    ]


def screenshot(page, backend, state: str, artifacts) -> None:
    path = artifacts / f"{backend.name}-{state}.png"
    page.screenshot(path=str(path), full_page=True)
    # The committed screenshots (README) come from the Python backend, when asked to.
    if os.environ.get("AUTHCLOUD_UPDATE_SCREENSHOTS") == "1" and backend.name == "python":
        SCREENSHOTS.mkdir(exist_ok=True)
        shutil.copy(path, SCREENSHOTS / f"web-{state}.png")


# --- a person in a browser -------------------------------------------------------------------


class Person:
    """One browser profile (its own cookies) on the example's first page."""

    def __init__(self, browser, backend, username: str | None = None) -> None:
        self.backend = backend
        self.username = username or unique("person")
        self.context = browser.new_context(viewport={"width": 720, "height": 900})
        self.page = self.context.new_page()
        self.page.goto(backend.url + "/")
        backend.secrets.append(PASSWORD)

    def session_cookie(self) -> str:
        return next(c["value"] for c in self.context.cookies() if c["name"] == "authcloud_example_session")

    def sign_up(self) -> None:
        self.page.fill("#signup-username", self.username)
        self.page.fill("#signup-password", PASSWORD)
        self.page.click("#signup-form button[type=submit]")
        expect(self.page.locator("#account-name")).to_have_text(self.username)

    def add_phone(self) -> "Registration":
        self.page.click("#add-phone")
        self.page.wait_for_selector("#qr", state="visible")
        return Registration(self.page, self.backend)

    def sign_out(self) -> None:
        self.page.click("#signout")
        expect(self.page.locator("#signup-form")).to_be_visible()

    def log_in_with_phone(self, username: str | None = None) -> str:
        """Asks for a push; returns the number the page shows."""
        self.page.fill("#login-username", username or self.username)
        self.page.click("#login-form button[type=submit]")
        expect(self.page.locator("#heading")).to_contain_text("Approve the login on your phone")
        number = self.page.text_content("#number").strip()
        assert re.fullmatch(r"\d\d", number), number
        return number

    def close(self) -> None:
        self.context.close()


class Registration:
    """The page after "Add your phone": what it shows and carries."""

    def __init__(self, page, backend) -> None:
        self.page = page
        data = page.eval_on_selector("#registration", "el => ({...el.dataset})")
        self.base_url = data["baseUrl"]
        assert self.base_url == backend.emulator_url
        self.status_token = data["statusToken"]
        self.href = page.get_attribute("#deep-link", "href")
        self.qr = page.get_attribute("#qr", "src")
        self.verify_calls: list[str] = []
        backend.secrets += [self.status_token, self.href.split("dispatchTokenResponse=")[1], data["csrf"]]
        page.on("request", lambda r: self.verify_calls.append(r.method) if r.url.endswith("/verify") else None)


def phone_opens_the_link(registration: Registration, button: str) -> float:
    """Opens the deep link in a second tab, as the phone would, and presses a button."""
    tab = registration.page.context.new_page()
    tab.goto(registration.href)
    expect(tab.locator("h1")).to_have_text("Register this phone?")
    tab.click(f"button:has-text('{button}')")
    pressed = time.monotonic()
    expect(tab.locator("h1")).to_have_text("Approved" if button == "Approve" else "Declined")
    tab.close()
    return pressed


def phone_decides_login(page, phone_url: str, button: str, number: str) -> None:
    """The simulated phone: the pending login with the backend's message and number."""
    tab = page.context.new_page()
    tab.goto(phone_url)
    approval = tab.locator("section.approval")
    expect(approval).to_have_count(1)
    expect(approval.locator("h2")).to_have_text("Log in?")
    expect(approval).to_contain_text("Approve your login to the authcloud web example")
    expect(approval.locator("b").first).to_have_text("authcloud web example")
    expect(approval.locator("b").nth(1)).to_have_text(number)  # number matching
    approval.locator(f"button:has-text('{button}')").click()
    expect(tab.locator("h1")).to_have_text("Approved" if button == "Approve" else "Declined")
    tab.close()


def assert_polled_every_1_5_s_and_stopped(backend, after_seq: int) -> None:
    polls = browser_polls(backend, after_seq)
    times = [p["atMs"] for p in polls]
    gaps = [(b - a) / 1000 for a, b in zip(times, times[1:])]
    assert len(polls) >= 2, polls
    assert all(1.2 <= g <= 1.9 for g in gaps), f"gaps between polls: {gaps}"
    assert 1.35 <= statistics.median(gaps) <= 1.65, f"gaps between polls: {gaps}"
    # Stopped after the final status: nothing more during two intervals.
    time.sleep(3.2)
    assert len(browser_polls(backend, after_seq)) == len(polls), "the page kept polling"


def with_phone(browser, backend, prefix: str) -> tuple[Person, str]:
    """A person signed up, with a phone added and verified: (the person, the cloud userId)."""
    person = Person(browser, backend, unique(prefix))
    person.sign_up()
    registration = person.add_phone()
    phone_opens_the_link(registration, "Approve")
    expect(person.page.locator("#status")).to_have_attribute("data-state", "registered", timeout=5000)
    answer = httpx.post(f"{registration.base_url}{STATUS_PATH}", json={"statusToken": registration.status_token}).json()
    backend.secrets.append(answer["token"])
    return person, answer["userId"]


# --- the flows -------------------------------------------------------------------------------


def test_sign_up_add_your_phone_then_log_in_with_it(browser, backend, artifacts):
    person = Person(browser, backend, unique("ann"))
    page = person.page
    screenshot(page, backend, "signed-out", artifacts)
    anonymous = person.session_cookie()
    person.sign_up()
    assert person.session_cookie() != anonymous, "signing up starts a new session"
    expect(page.locator("#phone-state")).to_have_text("No phone linked yet.")
    expect(page.locator("#add-phone")).to_have_text("Add your phone")
    screenshot(page, backend, "account", artifacts)

    before = last_seq(backend)
    registration = person.add_phone()
    enrolls = sent(backend, "/api/v1/users/enroll", before)
    assert len(enrolls) == 1, "one enroll for one press of the button"
    after_seq = enrolls[0]["seq"]
    # The QR code encodes exactly the link shown.
    assert decode_qr(registration.qr) == registration.href
    assert registration.href.startswith(registration.base_url + "/open?dispatchTokenResponse=")
    expect(page.locator("#status")).to_have_attribute("data-state", "pending")
    screenshot(page, backend, "qr-shown", artifacts)
    time.sleep(3.5)  # let the page poll a few times while "the user picks up the phone"

    pressed = phone_opens_the_link(registration, "Approve")
    expect(page.locator("#status")).to_have_attribute("data-state", "registered", timeout=3000)
    assert time.monotonic() - pressed <= 3.0
    expect(page.locator("#status")).to_contain_text("Registered: your phone is linked to your account.")
    assert registration.verify_calls == ["POST"], "exactly one verify call"
    screenshot(page, backend, "registered", artifacts)
    assert_polled_every_1_5_s_and_stopped(backend, after_seq)

    # What the cloud knows: a user named by the account's random id, not by what was typed.
    answer = httpx.post(f"{registration.base_url}{STATUS_PATH}", json={"statusToken": registration.status_token}).json()
    backend.secrets.append(answer["token"])
    user = cloud_user(backend, answer["userId"])
    assert user["username"].startswith("acct-") and person.username not in user["username"], user["username"]
    assert len(user["authenticators"]) == 1
    authenticator_id = user["authenticators"][0]["authenticatorId"]

    page.click("#account-link")
    expect(page.locator("#phone-state")).to_contain_text(f"Your phone is linked (authenticator {authenticator_id})")
    person.sign_out()

    # Log in with the phone: one push, to the stored phone, with the page's number.
    before = last_seq(backend)
    login_polls: list[str] = []
    page.on("request", lambda r: login_polls.append(r.url) if r.url.endswith("/login/api/v1/status") else None)
    signed_out = person.session_cookie()
    number = person.log_in_with_phone()
    pushes = sent(backend, "/api/v1/approval", before)
    assert [r["responseStatus"] for r in pushes] == [200], pushes
    pending = pending_approvals(backend, answer["userId"])
    assert len(pending) == 1 and pending[0]["channel"] == "push" and pending[0]["prompt"] is True
    assert pending[0]["authenticatorId"] == authenticator_id
    assert f"<b>{number}</b>" in pending[0]["message"]
    phone_url = page.get_attribute("#phone-link", "href")
    assert phone_url == f"{registration.base_url}/phone/{answer['userId']}"
    # The page holds a handle, not the status token (the backend polls the cloud for it).
    handle = page.eval_on_selector("#login", "el => el.dataset.statusToken")
    assert handle and not handle.startswith("eyJ"), "no JWT in the login page"
    screenshot(page, backend, "login-pending", artifacts)

    phone_decides_login(page, phone_url, "Approve", number)
    expect(page.locator("#status")).to_have_attribute("data-state", "logged-in", timeout=4000)
    expect(page.locator("#status")).to_contain_text(f"Logged in as {person.username}.")
    expect(page.locator("#heading")).to_have_text("Logged in")
    assert login_polls and all(u.startswith(backend.url) for u in login_polls), login_polls
    assert person.session_cookie() != signed_out, "logging in by phone starts a new session"
    screenshot(page, backend, "logged-in", artifacts)
    page.goto(backend.url + "/")
    expect(page.locator("#account-name")).to_have_text(person.username)
    person.close()


def test_decline_on_the_phone(browser, backend, artifacts):
    person = Person(browser, backend, unique("dee"))
    person.sign_up()
    before = last_seq(backend)
    registration = person.add_phone()
    after_seq = sent(backend, "/api/v1/users/enroll", before)[0]["seq"]
    time.sleep(1.6)
    phone_opens_the_link(registration, "Decline")
    page = person.page
    expect(page.locator("#status")).to_have_attribute("data-state", "declined", timeout=3000)
    expect(page.locator("#status")).to_contain_text("declined")
    assert registration.verify_calls == [], "a declined registration is not verified"
    screenshot(page, backend, "declined", artifacts)
    assert_polled_every_1_5_s_and_stopped(backend, after_seq)
    page.click("#account-link")
    expect(page.locator("#phone-state")).to_have_text("No phone linked yet.")
    person.close()


def test_an_expired_registration_says_so(browser, backend, artifacts):
    person = Person(browser, backend, unique("eve"))
    person.sign_up()
    registration = person.add_phone()
    page = person.page
    expect(page.locator("#status")).to_have_attribute("data-state", "expired", timeout=(TRANSACTION_TTL_SECONDS + 4) * 1000)
    expect(page.locator("#status")).to_contain_text("expired")
    assert registration.verify_calls == []
    screenshot(page, backend, "expired", artifacts)
    person.close()


def test_a_declined_login_says_so(browser, backend):
    person, user_id = with_phone(browser, backend, "fay")
    person.page.click("#account-link")
    person.sign_out()
    number = person.log_in_with_phone()
    phone_decides_login(person.page, person.page.get_attribute("#phone-link", "href"), "Decline", number)
    expect(person.page.locator("#status")).to_have_attribute("data-state", "declined", timeout=4000)
    expect(person.page.locator("#heading")).to_have_text("Not logged in")
    person.page.goto(backend.url + "/")
    expect(person.page.locator("#signup-form")).to_be_visible()
    # Signing in with the password instead starts a new session too.
    signed_out = person.session_cookie()
    person.page.fill("#signin-username", person.username)
    person.page.fill("#signin-password", PASSWORD)
    person.page.click("#signin-form button[type=submit]")
    expect(person.page.locator("#account-name")).to_have_text(person.username)
    assert person.session_cookie() != signed_out
    person.close()


# --- the attacker ----------------------------------------------------------------------------


def form_of(page_html: str) -> dict[str, str]:
    """The hidden CSRF token of a page's forms."""
    return {"csrf": re.search(r'name="csrf" value="([^"]+)"', page_html).group(1)}


@contextlib.contextmanager
def anonymous(backend) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    """A program with its own cookie jar, on the first page: (client, its CSRF field)."""
    with httpx.Client(base_url=backend.url, timeout=15) as client:
        first = client.get("/")
        assert first.status_code == 200
        yield client, form_of(first.text)


@contextlib.contextmanager
def signed_in(backend, username: str) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    """The same, signed up as `username` (and so signed in)."""
    with anonymous(backend) as (client, csrf):
        response = client.post("/signup", data={**csrf, "username": username, "password": PASSWORD})
        assert response.status_code == 303, response.text[:300]
        yield client, form_of(client.get("/").text)


def test_a_stranger_cannot_take_over_an_account(browser, backend, artifacts):
    """The attack of issue 19: a stranger in a second browser types an existing user's name."""
    victim, victim_user_id = with_phone(browser, backend, "vic")
    before = last_seq(backend)
    stranger = Person(browser, backend, victim.username)
    page = stranger.page
    # Signing up as the victim: taken (also in other letter case).
    for name in (victim.username, victim.username.upper()):
        page.fill("#signup-username", name)
        page.fill("#signup-password", "another password")
        page.click("#signup-form button[type=submit]")
        expect(page.locator("#signup-error")).to_have_text("That username is taken. Sign in, or pick another.")
    # Signing in with a guessed password, or as nobody: the same clear refusal.
    for name in (victim.username, unique("nobody")):
        page.fill("#signin-username", name)
        page.fill("#signin-password", "not the password")
        page.click("#signin-form button[type=submit]")
        expect(page.locator("#signin-error")).to_have_text("Wrong username or password.")
    screenshot(page, backend, "stranger-refused", artifacts)
    # "Add your phone" from this browser, forged with its own session's CSRF token: refused.
    csrf = form_of(page.content())["csrf"]
    forged = page.request.post(backend.url + "/register", form={"csrf": csrf, "username": victim.username},
                                headers=JSON_ACCEPT)
    assert (forged.status, forged.json()["state"]) == (401, "not-signed-in")
    assert not sent(backend, "/api/v1/users/enroll", before), "no enroll for an account the browser is not"
    # Log in with the phone as the victim: the push goes to the victim's phone, not to the
    # stranger; nothing the stranger can do confirms it.
    stranger.log_in_with_phone(victim.username)
    assert page.locator("#qr").count() == 0, "no QR code for the victim's account"
    operation = page.eval_on_selector("#login", "el => el.dataset.operation")
    early = page.request.post(backend.url + "/login/verify", form={"csrf": csrf, "operation": operation},
                              headers=JSON_ACCEPT)
    assert (early.status, early.json()["state"]) == (409, "not-confirmed")
    page.goto(backend.url + "/")
    expect(page.locator("#signup-form")).to_be_visible()
    assert page.locator("#account-name").count() == 0, "the stranger never signed in"
    assert not sent(backend, "/api/v1/users/enroll", before)
    assert len(cloud_user(backend, victim_user_id)["authenticators"]) == 1, "the victim's phone only"
    stranger.close()
    victim.close()


def test_an_expired_session_gets_a_clear_page(browser, backend):
    person = Person(browser, backend, unique("old"))
    person.sign_up()
    # The same account in a second tab signs out: the first tab's forms are stale now.
    other_tab = person.context.new_page()
    other_tab.goto(backend.url + "/")
    other_tab.click("#signout")
    before = last_seq(backend)
    person.page.click("#add-phone")
    expect(person.page.locator("#title")).to_have_text("Session expired")
    expect(person.page.locator("#message")).to_contain_text("your session expired")
    assert not sent(backend, "/api/v1/users/enroll", before)
    person.close()


def test_every_post_refuses_a_page_on_another_site(backend):
    with signed_in(backend, unique("csrf")) as (person, csrf):
        for path in ["/signup", "/signin", "/signout", "/register", "/verify", "/login", "/login/verify",
                     "/recovery-codes", "/recover"]:
            forged = person.post(path, data={**csrf, "username": "x", "password": PASSWORD}, headers=CROSS_SITE)
            assert forged.status_code == 403, (path, forged.status_code)
            assert "posted from another site" in forged.text
            neighbour = person.post(path, data=csrf, headers={"Sec-Fetch-Site": "same-site"})
            assert neighbour.status_code == 403, (path, "same-site")
            # An older browser that sends only Origin.
            old_browser = person.post(path, data=csrf, headers={"Origin": "https://attacker.example"})
            assert old_browser.status_code == 403, (path, "Origin only")
            without_token = person.post(path, data={"username": "x"})
            assert without_token.status_code == 403, (path, "no CSRF token")
            wrong_token = person.post(path, data={"csrf": "x" * 43, "username": "x"})
            assert wrong_token.status_code == 403, (path, "wrong CSRF token")
        status = person.post("/login/api/v1/status", json={"statusToken": "x"}, headers=CROSS_SITE)
        assert status.status_code == 403
        # A CSRF token belongs to its session: another browser's token does not work here.
        with anonymous(backend) as (other, other_csrf):
            assert person.post("/register", data=other_csrf).status_code == 403
        # Still signed in, nothing sent.
        assert 'id="account-name"' in person.get("/").text
    fresh = httpx.get(backend.url + "/", timeout=10)
    cookie = fresh.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie, cookie
    assert "Secure" not in cookie, "plain http on loopback"


def test_login_pushes_are_rate_limited_and_unknown_names_look_the_same(browser, backend):
    victim, user_id = with_phone(browser, backend, "ray")
    victim.close()
    with anonymous(backend) as (client, csrf):
        before = last_seq(backend)
        answers = []
        for attempt in range(10):
            started = time.monotonic()
            # The same name in other letter case is the same account, and counts.
            name = victim.username if attempt % 2 == 0 else victim.username.upper()
            response = client.post("/login", data={**csrf, "username": name})
            answers.append((response, time.monotonic() - started))
        assert [r.status_code for r, _ in answers] == [200] * 3 + [429] * 7
        refused = answers[3][0]
        assert "Too many login requests" in refused.text
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert len(sent(backend, "/api/v1/approval", before)) == 3, "ten requests, three pushes"
        assert len(pending_approvals(backend, user_id)) == 3
        answers = answers[:3]

        # A name nobody has: the same page, the same status, no faster, and nothing sent.
        before = last_seq(backend)
        started = time.monotonic()
        unknown = client.post("/login", data={**csrf, "username": unique("nobody")})
        unknown_seconds = time.monotonic() - started
        assert unknown.status_code == 200
        assert not sent(backend, "/api/v1/approval", before)

        def shape(html: str) -> str:
            html = re.sub(r'data-(operation|status-token|csrf)="[^"]*"', "", html)
            html = re.sub(r'name="(operation|csrf)" value="[^"]*"', "", html)
            html = re.sub(r'/phone/[0-9a-f-]{36}', "/phone/ID", html)
            html = re.sub(r'id="number">\d\d<', 'id="number">NN<', html)
            return re.sub(r"(ray|nobody)-[0-9a-f]{8}", "NAME", html, flags=re.IGNORECASE)

        assert shape(unknown.text) == shape(answers[0][0].text)
        known_seconds = [seconds for _, seconds in answers]
        assert min(known_seconds) >= 0.95 and unknown_seconds >= 0.95, (known_seconds, unknown_seconds)
        assert abs(unknown_seconds - statistics.mean(known_seconds)) < 0.3, (known_seconds, unknown_seconds)
        # Its poll stays pending, like a push nobody answers.
        operation = re.search(r'data-operation="([^"]+)"', unknown.text).group(1)
        polled = client.post("/login/api/v1/status", json={"statusToken": operation})
        assert polled.json() == {"status": "pending"}
        assert client.post("/login/api/v1/status", json={"statusToken": "made-up"}).json() == {"status": "unknown"}


def test_pushes_are_rate_limited_per_client_address(artifacts, backend):
    limited = start_backend(backend.name, artifacts, artifacts / f"{backend.name}-limited.sqlite3",
                            "--pushes-per-address", "2", label="-limited")
    try:
        with anonymous(limited) as (client, csrf):
            codes = [client.post("/login", data={**csrf, "username": unique("n")}).status_code for _ in range(3)]
        assert codes == [200, 200, 429], codes
    finally:
        stop_backend(limited)
        for leftover in artifacts.glob(f"{backend.name}-limited.sqlite3*"):
            leftover.unlink()


def test_two_verifies_at_once_link_the_phone_once(backend):
    with signed_in(backend, unique("twin")) as (person, csrf):
        page = person.post("/register", data=csrf)
        assert page.status_code == 200
        operation = re.search(r'data-operation="([^"]+)"', page.text).group(1)
        href = re.search(r'id="deep-link" href="([^"]+)"', page.text).group(1).replace("&amp;", "&")
        base, dispatch = href.split("/open?dispatchTokenResponse=")
        backend.secrets.append(dispatch)
        httpx.post(f"{base}/open/approve", data={"dispatchTokenResponse": dispatch}, timeout=10).raise_for_status()
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            replies = list(pool.map(
                lambda _: person.post("/verify", data={**csrf, "operation": operation}, headers=JSON_ACCEPT), range(4)))
        states = sorted((r.status_code, r.json()["state"]) for r in replies)
        assert states[0] == (200, "registered"), states
        assert all(code == 409 for code, _ in states[1:]), states
        again = person.post("/verify", data={**csrf, "operation": operation}, headers=JSON_ACCEPT)
        assert (again.status_code, again.json()["state"]) == (409, "replayed")
        user_id = next(r.json()["userId"] for r in replies if r.status_code == 200)
        linked = re.findall(rf"registration verified: user '{user_id}'", backend.log_text())
        assert len(linked) == 1, "linked once"


def test_two_processes_on_one_database_serve_the_same_people(artifacts, backend):
    """A second backend process on the same database file: the other language's, which also
    shows that both read the same schema and the same argon2id hashes."""
    other_name = next(name for name in sorted(BACKENDS) if name != backend.name)
    other = start_backend(other_name, artifacts, backend.database, label="-shared")
    try:
        username = unique("both")
        with signed_in(backend, username) as (first, _):
            cookie = first.cookies.get("authcloud_example_session")
            # The session made by one process is valid in the other.
            shown = httpx.get(other.url + "/", cookies={"authcloud_example_session": cookie}, timeout=10)
            assert f'id="account-name">{username}<' in shown.text
        # And the password hashed by one checks in the other.
        with anonymous(other) as (second, csrf):
            response = second.post("/signin", data={**csrf, "username": username, "password": PASSWORD})
            assert response.status_code == 303, response.text[:300]
            assert f'id="account-name">{username}<' in second.get("/").text
            wrong = second.post("/signin", data={**form_of(second.get("/").text), "username": username,
                                                 "password": PASSWORD + "!"})
            assert wrong.status_code == 401
    finally:
        stop_backend(other)


def test_a_restart_keeps_accounts_and_links(artifacts, backend):
    database = artifacts / f"{backend.name}-restart.sqlite3"
    for stale in artifacts.glob(f"{backend.name}-restart.sqlite3*"):
        stale.unlink()
    username = unique("kept")
    first = start_backend(backend.name, artifacts, database, label="-restart")
    try:
        with signed_in(first, username) as (person, csrf):
            page = person.post("/register", data=csrf)
            operation = re.search(r'data-operation="([^"]+)"', page.text).group(1)
            href = re.search(r'id="deep-link" href="([^"]+)"', page.text).group(1).replace("&amp;", "&")
            base, dispatch = href.split("/open?dispatchTokenResponse=")
            httpx.post(f"{base}/open/approve", data={"dispatchTokenResponse": dispatch}, timeout=10).raise_for_status()
            verified = person.post("/verify", data={**csrf, "operation": operation}, headers=JSON_ACCEPT)
            assert verified.status_code == 200, verified.text
            authenticator_id = verified.json()["authenticatorId"]
            cookie = person.cookies.get("authcloud_example_session")
    finally:
        stop_backend(first)
    second = start_backend(backend.name, artifacts, database, label="-restart")
    try:
        # The session survived, and so did the account with its phone.
        page = httpx.get(second.url + "/", cookies={"authcloud_example_session": cookie}, timeout=10).text
        assert f'id="account-name">{username}<' in page
        assert f"Your phone is linked (authenticator {authenticator_id})." in page
        with anonymous(second) as (client, csrf):
            response = client.post("/signin", data={**csrf, "username": username, "password": PASSWORD})
            assert response.status_code == 303
    finally:
        stop_backend(second)


def test_the_login_push_goes_to_the_stored_phone_not_the_newest(browser, backend):
    person, user_id = with_phone(browser, backend, "sam")
    stored = cloud_user(backend, user_id)["authenticators"][0]["authenticatorId"]
    # Another phone enrolled for the same cloud user behind the example's back: newer.
    enrolled = httpx.post(f"{backend.emulator_url}/api/v1/users/enroll", json={"userId": user_id},
                          headers={"Authorization": f"Bearer {ACCESS_KEY}"}, timeout=10).json()
    httpx.post(f"{backend.emulator_url}/_emulator/transactions/{enrolled['enrollment']['transactionId']}/approve",
               headers=EMULATOR_CONTROL, timeout=10).raise_for_status()
    assert len(cloud_user(backend, user_id)["authenticators"]) == 2
    person.page.click("#account-link")
    # "Add another phone" while yet another one is enrolled behind the example's back: the
    # example cannot tell which is the person's, so it links neither.
    registration = person.add_phone()
    sneaked = httpx.post(f"{backend.emulator_url}/api/v1/users/enroll", json={"userId": user_id},
                         headers={"Authorization": f"Bearer {ACCESS_KEY}"}, timeout=10).json()
    httpx.post(f"{backend.emulator_url}/_emulator/transactions/{sneaked['enrollment']['transactionId']}/approve",
               headers=EMULATOR_CONTROL, timeout=10).raise_for_status()
    phone_opens_the_link(registration, "Approve")
    expect(person.page.locator("#status")).to_have_attribute("data-state", "error", timeout=5000)
    expect(person.page.locator("#status")).to_contain_text("could not be told apart")
    person.page.click("#account-link")
    expect(person.page.locator("#phone-state")).to_contain_text(f"(authenticator {stored})")
    person.sign_out()
    person.log_in_with_phone()
    pending = pending_approvals(backend, user_id)
    assert [p["authenticatorId"] for p in pending] == [stored]
    person.close()


# --- bad input: a clear page and status, never a 500 ---------------------------------------


def test_bad_input_gets_a_clear_page(backend):
    with anonymous(backend) as (client, csrf):
        for username, password, status, text in [
            ("", PASSWORD, 400, "Please enter a username."),
            ("   ", PASSWORD, 400, "Please enter a username."),
            ("x" * 65, PASSWORD, 400, "A username has at most 64 characters."),
            ("bob smith", PASSWORD, 400, "may use only letters, digits"),
            ("<script>alert(1)</script>", PASSWORD, 400, "may use only letters, digits"),
            ("ünïcode", PASSWORD, 400, "may use only letters, digits"),
            (unique("short"), "1234567", 400, "A password has at least 8 characters."),
            (unique("long"), "p" * 1025, 400, "A password has at most 1024 characters."),
        ]:
            response = client.post("/signup", data={**csrf, "username": username, "password": password})
            assert response.status_code == status, (username, response.status_code, response.text[:300])
            assert text in response.text, (username, response.text[:500])
            assert "<script>alert(1)</script>" not in response.text
        for username in ["", "bob smith", "x" * 65]:
            assert client.post("/login", data={**csrf, "username": username}).status_code == 400, username
        too_large = client.post("/signup", data={**csrf, "username": "x", "password": "p" * 70_000})
        assert too_large.status_code == 413
        json_body = client.post("/signup", json={"username": "x", "password": PASSWORD})
        assert json_body.status_code == 403, "not a form: no CSRF token either"
        missing = client.post("/verify", data={**csrf, "operation": "nothing"}, headers=JSON_ACCEPT)
        assert (missing.status_code, missing.json()["state"]) == (401, "no-session")
        assert client.post("/login/api/v1/status", content=b"not json").json() == {"status": "unknown"}


def test_the_poller_default_is_the_sdks(backend):
    """Three readings of the guide's 1.5 s: the SDK's default (which each backend puts into
    its pages), and the browser poller's own default when a page passes none."""
    node = shutil.which("node")
    assert node, "node is installed by web/test.sh, which ./test.sh web runs first"
    script = f"import {{ DEFAULT_INTERVAL_MS }} from '{REPO / 'web' / 'dist' / 'index.js'}'; console.log(DEFAULT_INTERVAL_MS)"
    poller_default = int(subprocess.run([node, "--input-type=module", "-e", script], check=True, capture_output=True,
                                        text=True, timeout=30).stdout)
    with anonymous(backend) as (client, csrf):
        page = client.post("/login", data={**csrf, "username": unique("interval")}).text
    sdk_default = int(re.search(r'data-poll-interval-ms="(\d+)"', page).group(1))
    assert sdk_default == poller_default == 1500


def test_no_secret_reaches_the_backend_log(backend):
    # Runs after the flows above (pytest keeps file order): every secret they saw.
    log = backend.log_text()
    assert "registration started" in log and "registration verified: user" in log, log[-2000:]
    assert "login started" in log and "login verified: user" in log, log[-2000:]
    assert "database: " in log
    for secret in backend.secrets:
        assert secret and secret not in log, f"{backend.name} backend logged a secret ({secret[:6]}…)"
