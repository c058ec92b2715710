"""The guide's web flow in a real browser, against each example backend.

A person opens the page, types a username, sees the QR code and the deep link; the phone
(a second tab on the emulator's deep-link page) approves or declines; the first tab says
"registered" (verified by the backend) or "declined" — or "expired" when nobody acts.
The emulator's request log shows the page polled every ~1.5 s and stopped at the end.
Then "Log in with your phone": a push approval the simulated phone (`/phone/{userId}`)
shows with its message and approves or declines, polled and verified the same way.
"""

from __future__ import annotations

import base64
import io
import os
import shutil
import statistics
import time
import uuid

import httpx
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from conftest import REPO, TRANSACTION_TTL_SECONDS

STATUS_PATH = "/api/v1/status"
SCREENSHOTS = REPO / "docs"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def decode_qr(data_uri: str) -> str:
    header, payload = data_uri.split(",", 1)
    assert header == "data:image/png;base64", header
    image = Image.open(io.BytesIO(base64.b64decode(payload)))
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1, f"{len(found)} QR codes in the image"
    return found[0].text


def browser_polls(base_url: str, after_seq: int) -> list[dict]:
    """Status requests the page (not the backend's SDK) sent after `after_seq`."""
    log = httpx.get(f"{base_url}/_emulator/requests", timeout=10).json()
    return [
        r for r in log
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


class Registration:
    """The first tab after `POST /register`: what the page shows and carries."""

    def __init__(self, page, backend) -> None:
        self.page = page
        data = page.eval_on_selector("#registration", "el => ({...el.dataset})")
        self.base_url = data["baseUrl"]
        self.status_token = data["statusToken"]
        self.href = page.get_attribute("#deep-link", "href")
        self.qr = page.get_attribute("#qr", "src")
        self.verify_calls: list[str] = []
        backend.secrets += [self.status_token, self.href.split("dispatchTokenResponse=")[1]]


def register(browser, backend, username: str) -> Registration:
    context = browser.new_context(viewport={"width": 720, "height": 900})
    page = context.new_page()
    page.goto(backend.url + "/")
    page.fill("#username", username)
    page.click("button[type=submit]")
    page.wait_for_selector("#qr", state="visible")
    registration = Registration(page, backend)
    page.on("request", lambda r: registration.verify_calls.append(r.method) if r.url.endswith("/verify") else None)
    return registration


def phone(registration: Registration, button: str) -> float:
    """Opens the deep link in a second tab, as the phone would, and presses a button."""
    tab = registration.page.context.new_page()
    tab.goto(registration.href)
    expect(tab.locator("h1")).to_have_text("Register this phone?")
    tab.click(f"button:has-text('{button}')")
    pressed = time.monotonic()
    expect(tab.locator("h1")).to_have_text("Approved" if button == "Approve" else "Declined")
    tab.close()
    return pressed


def assert_polled_every_1_5_s_and_stopped(registration: Registration, after_seq: int) -> None:
    polls = browser_polls(registration.base_url, after_seq)
    times = [p["atMs"] for p in polls]
    gaps = [(b - a) / 1000 for a, b in zip(times, times[1:])]
    assert len(polls) >= 2, polls
    assert all(1.2 <= g <= 1.9 for g in gaps), f"gaps between polls: {gaps}"
    assert 1.35 <= statistics.median(gaps) <= 1.65, f"gaps between polls: {gaps}"
    # Stopped after the final status: nothing more during two intervals.
    time.sleep(3.2)
    assert len(browser_polls(registration.base_url, after_seq)) == len(polls), "the page kept polling"


def test_register_then_approve_on_the_phone(browser, backend, artifacts):
    registration = register(browser, backend, unique("approve"))
    page = registration.page
    after_seq = after_seq_for(registration)
    # The QR code encodes exactly the link shown.
    assert decode_qr(registration.qr) == registration.href
    assert registration.href.startswith(registration.base_url + "/open?dispatchTokenResponse=")
    expect(page.locator("#status")).to_have_attribute("data-state", "pending")
    screenshot(page, backend, "qr-shown", artifacts)
    time.sleep(3.5)  # let the page poll a few times while "the user picks up the phone"

    pressed = phone(registration, "Approve")
    expect(page.locator("#status")).to_have_attribute("data-state", "registered", timeout=3000)
    shown_within = time.monotonic() - pressed
    assert shown_within <= 3.0, f"registered shown {shown_within:.2f} s after approval"
    answer = httpx.post(f"{registration.base_url}{STATUS_PATH}", json={"statusToken": registration.status_token}).json()
    backend.secrets.append(answer["token"])
    expect(page.locator("#status")).to_contain_text(f"Registered: your phone is linked to user {answer['userId']}")
    assert registration.verify_calls == ["POST"], "exactly one verify call"
    screenshot(page, backend, "registered", artifacts)
    assert_polled_every_1_5_s_and_stopped(registration, after_seq)
    page.context.close()


def after_seq_for(registration: Registration) -> int:
    """The log position just before this registration's first poll (its enroll request)."""
    log = httpx.get(f"{registration.base_url}/_emulator/requests", timeout=10).json()
    enrolls = [r["seq"] for r in log if r["path"] == "/api/v1/users/enroll"]
    return max(enrolls)


def test_decline_on_the_phone(browser, backend, artifacts):
    registration = register(browser, backend, unique("decline"))
    page = registration.page
    after_seq = after_seq_for(registration)
    time.sleep(1.6)
    phone(registration, "Decline")
    expect(page.locator("#status")).to_have_attribute("data-state", "declined", timeout=3000)
    expect(page.locator("#status")).to_contain_text("declined")
    assert registration.verify_calls == [], "a declined registration is not verified"
    screenshot(page, backend, "declined", artifacts)
    assert_polled_every_1_5_s_and_stopped(registration, after_seq)
    page.context.close()


def test_an_expired_registration_says_so(browser, backend, artifacts):
    registration = register(browser, backend, unique("expire"))
    page = registration.page
    after_seq = after_seq_for(registration)
    expect(page.locator("#status")).to_have_attribute("data-state", "expired", timeout=(TRANSACTION_TTL_SECONDS + 4) * 1000)
    expect(page.locator("#status")).to_contain_text("expired")
    assert registration.verify_calls == []
    screenshot(page, backend, "expired", artifacts)
    assert_polled_every_1_5_s_and_stopped(registration, after_seq)
    page.context.close()


# --- log in with the registered phone (push approval) -------------------------------------


def registered(browser, backend, prefix: str) -> tuple[Registration, str]:
    """A registration approved on the phone and shown as registered: (its tab, user id)."""
    registration = register(browser, backend, unique(prefix))
    phone(registration, "Approve")
    expect(registration.page.locator("#status")).to_have_attribute("data-state", "registered", timeout=5000)
    answer = httpx.post(f"{registration.base_url}{STATUS_PATH}", json={"statusToken": registration.status_token}).json()
    backend.secrets.append(answer["token"])
    return registration, answer["userId"]


def phone_decides_login(page, phone_url: str, button: str) -> None:
    """The simulated phone: the pending login with the backend's message, then a button."""
    tab = page.context.new_page()
    tab.goto(phone_url)
    approval = tab.locator("section.approval")
    expect(approval).to_have_count(1)
    expect(approval.locator("h2")).to_have_text("Log in?")
    expect(approval).to_contain_text("Approve your login to the authcloud web example")
    expect(approval.locator("b")).to_have_text("authcloud web example")  # the prompt's <html> message
    approval.locator(f"button:has-text('{button}')").click()
    expect(tab.locator("h1")).to_have_text("Approved" if button == "Approve" else "Declined")
    tab.close()


def test_log_in_with_the_phone_after_registering(browser, backend, artifacts):
    registration, user_id = registered(browser, backend, "login")
    page = registration.page
    login_calls: list[str] = []
    page.on("request", lambda r: login_calls.append(r.method) if r.url.endswith("/login/verify") else None)
    expect(page.locator("#login-button")).to_be_visible()
    before = max(r["seq"] for r in httpx.get(f"{registration.base_url}/_emulator/requests", timeout=10).json())
    page.click("#login-button")
    expect(page.locator("#heading")).to_contain_text("Approve the login on your phone")
    expect(page.locator("#status")).to_have_attribute("data-state", "pending")
    login_token = page.eval_on_selector("#login", "el => el.dataset.statusToken")
    assert login_token and login_token != registration.status_token
    backend.secrets.append(login_token)
    phone_url = page.get_attribute("#phone-link", "href")
    assert phone_url == f"{registration.base_url}/phone/{user_id}"
    # Exactly one approval was sent (no retry, no second push to the phone).
    log = httpx.get(f"{registration.base_url}/_emulator/requests", timeout=10).json()
    sent = [r for r in log if r["seq"] > before and r["path"] == "/api/v1/approval"]
    assert [r["responseStatus"] for r in sent] == [200], sent
    pending = httpx.get(f"{registration.base_url}/_emulator/users/{user_id}/approvals", timeout=10).json()
    assert len(pending) == 1 and pending[0]["prompt"] is True and pending[0]["channel"] == "push"
    screenshot(page, backend, "login-pending", artifacts)

    phone_decides_login(page, phone_url, "Approve")
    expect(page.locator("#status")).to_have_attribute("data-state", "logged-in", timeout=4000)
    expect(page.locator("#status")).to_contain_text(f"(user {user_id})")
    expect(page.locator("#heading")).to_have_text("Logged in")
    assert login_calls == ["POST"], "exactly one login verify call"
    answer = httpx.post(f"{registration.base_url}{STATUS_PATH}", json={"statusToken": login_token}).json()
    backend.secrets.append(answer["token"])
    screenshot(page, backend, "logged-in", artifacts)
    page.context.close()


def test_a_declined_login_says_so_and_an_unknown_user_gets_the_first_page(browser, backend):
    registration, user_id = registered(browser, backend, "login-decline")
    page = registration.page
    page.click("#login-button")
    expect(page.locator("#status")).to_have_attribute("data-state", "pending")
    backend.secrets.append(page.eval_on_selector("#login", "el => el.dataset.statusToken"))
    phone_decides_login(page, page.get_attribute("#phone-link", "href"), "Decline")
    expect(page.locator("#status")).to_have_attribute("data-state", "declined", timeout=4000)
    expect(page.locator("#heading")).to_have_text("Not logged in")

    # From the first page, for a username nobody registered: the reason, no approval sent.
    page.goto(backend.url + "/")
    before = len(httpx.get(f"{registration.base_url}/_emulator/requests", timeout=10).json())
    page.fill("#login-username", unique("nobody"))
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-error")).to_contain_text("Nobody is registered as")
    log = httpx.get(f"{registration.base_url}/_emulator/requests", timeout=10).json()
    assert not [r for r in log[before:] if r["path"] == "/api/v1/approval"]
    page.context.close()


def test_login_verify_refuses_a_registration_session_and_a_missing_one(backend):
    json_accept = {"Accept": "application/json"}
    with httpx.Client(base_url=backend.url, timeout=15) as http:
        response = http.post("/login/verify", data={"statusToken": "anything"}, headers=json_accept)
        assert (response.status_code, response.json()["state"]) == (401, "no-session")
        page = http.post("/register", data={"username": unique("not-a-login")})
        token = page.text.split('data-status-token="')[1].split('"')[0]
        backend.secrets.append(token)
        # A registration's session is not a login's.
        response = http.post("/login/verify", data={"statusToken": token}, headers=json_accept)
        assert (response.status_code, response.json()["state"]) == (401, "no-session")
        for username, status in [("", 400), ("bad name", 400), (unique("nobody"), 404)]:
            assert http.post("/login", data={"username": username}).status_code == status, username


# --- bad input: a clear page and status, never a 500 -------------------------------------


def test_bad_usernames_get_a_clear_page(backend):
    with httpx.Client(base_url=backend.url, timeout=15) as http:
        for username, status, text in [
            ("", 400, "Please enter a username."),
            ("   ", 400, "Please enter a username."),
            ("x" * 400, 400, "A username has at most 300 characters."),
            ("bob smith", 400, "may use only letters, digits"),
            ("<script>alert(1)</script>", 400, "may use only letters, digits"),
            ("ünïcode", 400, "may use only letters, digits"),
        ]:
            response = http.post("/register", data={"username": username})
            assert response.status_code == status, (username, response.status_code, response.text[:300])
            assert text in response.text, (username, response.text[:500])
            assert "<script>alert(1)</script>" not in response.text
        assert http.post("/register").status_code == 400, "a missing field"


def test_verify_refuses_missing_sessions_foreign_and_replayed_tokens(backend):
    json_accept = {"Accept": "application/json"}
    with httpx.Client(base_url=backend.url, timeout=15) as mine, httpx.Client(base_url=backend.url, timeout=15) as theirs:
        # No session at all.
        response = mine.post("/verify", data={"statusToken": "anything"}, headers=json_accept)
        assert (response.status_code, response.json()["state"]) == (401, "no-session")
        page = mine.post("/verify", data={"statusToken": "anything"})
        assert page.status_code == 401 and "No registration in progress" in page.text

        mine.post("/register", data={"username": unique("mine")}).raise_for_status()
        their_page = theirs.post("/register", data={"username": unique("theirs")})
        their_token = their_page.text.split('data-status-token="')[1].split('"')[0]
        backend.secrets.append(their_token)
        # Someone else's status token, posted to my session.
        response = mine.post("/verify", data={"statusToken": their_token}, headers=json_accept)
        assert (response.status_code, response.json()["state"]) == (403, "foreign")
        # An empty one.
        assert mine.post("/verify", data={"statusToken": ""}, headers=json_accept).status_code == 400
        # My own token, before the phone confirmed: not confirmed, not an error.
        my_page = mine.post("/register", data={"username": unique("mine")})
        my_token = my_page.text.split('data-status-token="')[1].split('"')[0]
        backend.secrets.append(my_token)
        response = mine.post("/verify", data={"statusToken": my_token}, headers=json_accept)
        assert (response.status_code, response.json()["state"]) == (409, "not-confirmed")

        # Their own flow to the end, then a replay.
        href = their_page.text.split('id="deep-link" href="')[1].split('"')[0].replace("&amp;", "&")
        dispatch = href.split("dispatchTokenResponse=")[1]
        backend.secrets.append(dispatch)
        base = href.split("/open?")[0]
        httpx.post(f"{base}/open/approve", data={"dispatchTokenResponse": dispatch}, timeout=10).raise_for_status()
        done = theirs.post("/verify", data={"statusToken": their_token}, headers=json_accept)
        assert (done.status_code, done.json()["state"]) == (200, "registered"), done.text
        replay = theirs.post("/verify", data={"statusToken": their_token}, headers=json_accept)
        assert (replay.status_code, replay.json()["state"]) == (409, "replayed")
        # The verified token is still foreign to my session.
        response = mine.post("/verify", data={"statusToken": their_token}, headers=json_accept)
        assert response.status_code == 403


def test_no_secret_reaches_the_backend_log(backend):
    # Runs after the flows above (pytest keeps file order): every secret they saw.
    log = backend.log_text()
    assert "registration started" in log and "registration verified: user" in log, log[-2000:]
    assert "login started" in log and "login verified: user" in log, log[-2000:]
    for secret in backend.secrets:
        assert secret and secret not in log, f"{backend.name} backend logged a secret ({secret[:6]}…)"
