""""Lost your phone?" in both web examples, as the person who lost it and as an attacker.

The person, with a phone linked, creates recovery codes (shown once) and writes them down.
The phone is lost, and whoever finds it logs in with it. The person signs in with the
password, presses "Lost your phone?" and types one code: the example deletes the lost
authenticator in the cloud, forgets the link, signs the account out everywhere else (the
finder too) and shows "Add your phone" for the new one. The used code never works again.

The attacker: a stranger without a session, a page on another site, a guesser (limited by
the example's database and by the cloud), someone who knows only the password (who cannot
mint codes), and the backend's log, which must never show a code.
"""

from __future__ import annotations

import contextlib
import re
from typing import Iterator

import httpx
from playwright.sync_api import expect

from conftest import ACCESS_KEY, start_backend, stop_backend
from test_web_flow import (
    CROSS_SITE, EMULATOR_CONTROL, JSON_ACCEPT, PASSWORD, STATUS_PATH, Person, Registration, anonymous, cloud_user,
    emulator_log, form_of, last_seq, pending_approvals, phone_decides_login, phone_opens_the_link, screenshot, sent,
    signed_in, unique,
)

# Sixteen letters and digits, the shape of a code, but nobody's.
WRONG_CODE = "WrongCode0000000"
NO_STORE = "no-store"


def codes_on(page_html: str) -> list[str]:
    """The codes of a recovery-codes page (one per line in `#codes`)."""
    found = re.search(r'<pre id="codes">([^<]*)</pre>', page_html)
    assert found, page_html[:500]
    return found.group(1).split()


def requests_to(backend, method: str, path: str, after_seq: int = -1) -> list[dict]:
    return [r for r in emulator_log(backend) if r["seq"] > after_seq and r["method"] == method and r["path"] == path]


def verifications(backend, user_id: str, after_seq: int = -1) -> list[dict]:
    return requests_to(backend, "POST", f"/api/v1/users/{user_id}/verification", after_seq)


def authenticator_ids(backend, user_id: str) -> list[str]:
    return [a["authenticatorId"] for a in cloud_user(backend, user_id)["authenticators"]]


def link_phone(backend, client: httpx.Client, csrf: dict[str, str]) -> tuple[str, str]:
    """"Add your phone" from a program, the phone's approval on the emulator, and verify:
    (cloud userId, authenticatorId). The session that does it has used the phone."""
    page = client.post("/register", data=csrf)
    assert page.status_code == 200, page.text[:300]
    operation = re.search(r'data-operation="([^"]+)"', page.text).group(1)
    href = re.search(r'id="deep-link" href="([^"]+)"', page.text).group(1).replace("&amp;", "&")
    base, dispatch = href.split("/open?dispatchTokenResponse=")
    backend.secrets += [dispatch, re.search(r'data-status-token="([^"]+)"', page.text).group(1)]
    httpx.post(f"{base}/open/approve", data={"dispatchTokenResponse": dispatch}, timeout=10).raise_for_status()
    verified = client.post("/verify", data={**csrf, "operation": operation}, headers=JSON_ACCEPT)
    assert verified.status_code == 200, verified.text
    return verified.json()["userId"], verified.json()["authenticatorId"]


def create_codes(backend, client: httpx.Client, csrf: dict[str, str]) -> list[str]:
    response = client.post("/recovery-codes", data=csrf)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["cache-control"] == NO_STORE
    codes = codes_on(response.text)
    backend.secrets += codes
    return codes


@contextlib.contextmanager
def with_codes(backend, username: str) -> Iterator[tuple[httpx.Client, dict[str, str], str, str, list[str]]]:
    """Signed up, a phone linked and recovery codes created, all by a program:
    (client, its CSRF field, cloud userId, authenticatorId, the codes)."""
    with signed_in(backend, username) as (client, csrf):
        user_id, authenticator_id = link_phone(backend, client, csrf)
        yield client, csrf, user_id, authenticator_id, create_codes(backend, client, csrf)


@contextlib.contextmanager
def signed_in_with_password(backend, username: str) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    """A second browser of the same person, signed in with the password only."""
    with anonymous(backend) as (client, csrf):
        response = client.post("/signin", data={**csrf, "username": username, "password": PASSWORD})
        assert response.status_code == 303, response.text[:300]
        yield client, form_of(client.get("/").text)


# --- the person ------------------------------------------------------------------------------


def test_lose_your_phone_and_replace_it_with_a_recovery_code(browser, backend, artifacts):
    person = Person(browser, backend, unique("lou"))
    page = person.page
    person.sign_up()
    expect(page.locator("#recovery")).to_be_hidden()  # no phone, nothing to recover
    registration = person.add_phone()
    phone_opens_the_link(registration, "Approve")
    expect(page.locator("#status")).to_have_attribute("data-state", "registered", timeout=5000)
    answer = httpx.post(f"{registration.base_url}{STATUS_PATH}", json={"statusToken": registration.status_token}).json()
    backend.secrets.append(answer["token"])
    user_id = answer["userId"]
    [lost] = authenticator_ids(backend, user_id)

    # Recovery codes, from the account page: shown once, never cached.
    page.click("#account-link")
    expect(page.locator("#recovery")).to_be_visible()
    screenshot(page, backend, "account-with-phone", artifacts)
    before = last_seq(backend)
    with page.expect_response(lambda r: r.url == backend.url + "/recovery-codes") as shown:
        page.click("#create-recovery-codes")
    assert shown.value.status == 200 and shown.value.headers["cache-control"] == NO_STORE
    assert len(sent(backend, "/api/v1/users/enroll", before)) == 1, "one request for the codes"
    expect(page.locator("#heading")).to_have_text(f"Your recovery codes, {person.username}")
    expect(page.locator("main")).to_contain_text("Write these down now")
    codes = page.text_content("#codes").split()
    backend.secrets += codes
    assert len(codes) == 10 and all(re.fullmatch(r"[A-Za-z0-9]{16}", c) for c in codes), len(codes)
    assert len(set(codes)) == 10
    screenshot(page, backend, "recovery-codes", artifacts)

    # The phone is lost; whoever finds it logs in with it, in a browser of their own.
    finder = Person(browser, backend, person.username)
    number = finder.log_in_with_phone()
    phone_decides_login(finder.page, finder.page.get_attribute("#phone-link", "href"), "Approve", number)
    expect(finder.page.locator("#status")).to_have_attribute("data-state", "logged-in", timeout=4000)
    finder.page.goto(backend.url + "/")
    expect(finder.page.locator("#account-name")).to_have_text(person.username)

    # The person signs out, signs in with the password, and says the phone is lost.
    page.click("#account-link")
    person.sign_out()
    page.fill("#signin-username", person.username)
    page.fill("#signin-password", PASSWORD)
    page.click("#signin-form button[type=submit]")
    expect(page.locator("#account-name")).to_have_text(person.username)
    with page.expect_response(lambda r: r.url == backend.url + "/lost-phone") as form:
        page.click("#lost-phone")
    assert form.value.status == 200 and form.value.headers["cache-control"] == NO_STORE
    expect(page.locator("#heading")).to_have_text(f"Lost your phone, {person.username}?")
    expect(page.locator("#lost-authenticator")).to_have_text(lost)
    screenshot(page, backend, "lost-phone", artifacts)

    # One code, typed in groups of four: the lost phone goes, "Add your phone" follows.
    before = last_seq(backend)
    code = codes[3]
    page.fill("#recovery-code", " ".join(code[i:i + 4] for i in range(0, 16, 4)))
    page.click("#recover-form button[type=submit]")
    page.wait_for_selector("#qr", state="visible")
    expect(page.locator("#heading")).to_have_text(f"Add your phone, {person.username}")
    deleted = requests_to(backend, "DELETE", f"/api/v1/authenticators/{lost}", before)
    assert [r["responseStatus"] for r in deleted] == [204], deleted
    assert authenticator_ids(backend, user_id) == [], "the lost phone is gone from the cloud"
    # The new phone: the same cloud user (the account's random id), enrolled again.
    enrolls = sent(backend, "/api/v1/users/enroll", before)
    assert len(enrolls) == 1
    new_registration = Registration(page, backend)
    assert new_registration.verify_calls == []
    # The finder's session ended with it.
    finder.page.goto(backend.url + "/")
    expect(finder.page.locator("#signup-form")).to_be_visible()
    assert finder.page.locator("#account-name").count() == 0

    phone_opens_the_link(new_registration, "Approve")
    expect(page.locator("#status")).to_have_attribute("data-state", "registered", timeout=5000)
    answer = httpx.post(f"{new_registration.base_url}{STATUS_PATH}",
                        json={"statusToken": new_registration.status_token}).json()
    backend.secrets.append(answer["token"])
    assert answer["userId"] == user_id
    [new] = authenticator_ids(backend, user_id)
    assert new != lost
    page.click("#account-link")
    expect(page.locator("#phone-state")).to_contain_text(f"Your phone is linked (authenticator {new})")

    # The used code fails the second time, and changes nothing.
    page.click("#lost-phone")
    before = last_seq(backend)
    page.fill("#recovery-code", code)
    with page.expect_response(lambda r: r.url == backend.url + "/recover") as refused:
        page.click("#recover-form button[type=submit]")
    assert refused.value.status == 401
    expect(page.locator("#recover-error")).to_have_text(
        "That is not one of your recovery codes, or it was used already. Nothing was changed.")
    assert [r["responseStatus"] for r in verifications(backend, user_id, before)] == [400]
    assert not requests_to(backend, "DELETE", f"/api/v1/authenticators/{new}", before)
    assert authenticator_ids(backend, user_id) == [new]
    screenshot(page, backend, "lost-phone-refused", artifacts)

    # Logins now push to the new phone.
    page.click("#account-link")
    person.sign_out()
    person.log_in_with_phone()
    assert [p["authenticatorId"] for p in pending_approvals(backend, user_id)] == [new]
    finder.close()
    person.close()


def test_new_codes_replace_the_old_ones(backend):
    with with_codes(backend, unique("renew")) as (client, csrf, user_id, authenticator_id, old_codes):
        new_codes = create_codes(backend, client, csrf)
        assert not set(old_codes) & set(new_codes)
        for code, status in [(old_codes[0], 401), (new_codes[0], 200)]:
            response = client.post("/recover", data={**csrf, "code": code})
            assert response.status_code == status, (status, response.text[:300])
        assert authenticator_id not in authenticator_ids(backend, user_id)


def test_no_phone_linked_gets_a_clear_page(backend):
    with signed_in(backend, unique("nophone")) as (client, csrf):
        account_page = client.get("/").text
        assert re.search(r'<section id="recovery" class="hidden">', account_page)
        before = last_seq(backend)
        for response in [client.get("/lost-phone", headers=JSON_ACCEPT),
                         client.post("/recover", data={**csrf, "code": WRONG_CODE}, headers=JSON_ACCEPT),
                         client.post("/recovery-codes", data=csrf, headers=JSON_ACCEPT)]:
            assert (response.status_code, response.json()["state"]) == (409, "no-phone"), response.text
        page = client.get("/lost-phone")
        assert page.status_code == 409 and "No phone linked" in page.text and "nothing to replace" in page.text
        assert last_seq(backend) == before, "nothing sent to the cloud"


# --- the attacker ----------------------------------------------------------------------------


def test_a_stranger_without_a_session_cannot_use_recovery(backend):
    with with_codes(backend, unique("own")) as (_, _, user_id, authenticator_id, codes):
        before = last_seq(backend)
        with anonymous(backend) as (stranger, csrf):
            page = stranger.get("/lost-phone")
            assert page.status_code == 401 and "Sign in first" in page.text
            assert 'name="code"' not in page.text
            for path in ["/recover", "/recovery-codes"]:
                response = stranger.post(path, data={**csrf, "code": codes[0]}, headers=JSON_ACCEPT)
                assert (response.status_code, response.json()["state"]) == (401, "not-signed-in"), path
        # No cookie at all: no CSRF token either.
        bare = httpx.post(backend.url + "/recover", data={"code": codes[0]}, timeout=10)
        assert bare.status_code == 403
        assert last_seq(backend) == before, "nothing sent to the cloud"
        assert authenticator_ids(backend, user_id) == [authenticator_id]


def test_recovery_posts_refuse_another_site_and_a_missing_token(backend):
    with with_codes(backend, unique("xsite")) as (client, csrf, user_id, authenticator_id, codes):
        before = last_seq(backend)
        for path in ["/recovery-codes", "/recover"]:
            form = {**csrf, "code": codes[0]}
            for headers, data, why in [
                (CROSS_SITE, form, "cross-site"),
                ({"Sec-Fetch-Site": "same-site"}, form, "same-site"),
                ({"Origin": "https://attacker.example"}, form, "Origin only"),
                ({}, {"code": codes[0]}, "no CSRF token"),
                ({}, {"csrf": "x" * 43, "code": codes[0]}, "wrong CSRF token"),
            ]:
                response = client.post(path, data=data, headers=headers)
                assert response.status_code == 403, (path, why, response.status_code)
        assert last_seq(backend) == before, "nothing sent to the cloud"
        assert authenticator_ids(backend, user_id) == [authenticator_id]
        # The codes still work: none was used up by the forgeries.
        assert client.post("/recover", data={**csrf, "code": codes[0]}).status_code == 200


def test_a_password_alone_cannot_create_recovery_codes(backend):
    """The codes stand in for the phone: whoever knows only the password (a session that
    never used the phone) cannot mint a set and then replace the phone with it."""
    username = unique("pwonly")
    with with_codes(backend, username) as (_, _, user_id, authenticator_id, codes):
        with signed_in_with_password(backend, username) as (thief, csrf):
            before = last_seq(backend)
            refused = thief.post("/recovery-codes", data=csrf)
            assert refused.status_code == 403 and "Use your phone first" in refused.text
            assert not sent(backend, "/api/v1/users/enroll", before), "no codes requested"
            # Logging in with the phone (approved on it) makes a session that may.
            login = thief.post("/login", data={**csrf, "username": username})
            assert login.status_code == 200
            operation = re.search(r'data-operation="([^"]+)"', login.text).group(1)
            [approval] = pending_approvals(backend, user_id)
            httpx.post(f"{backend.emulator_url}/_emulator/transactions/{approval['transactionId']}/approve",
                       headers=EMULATOR_CONTROL, timeout=10).raise_for_status()
            verified = thief.post("/login/verify", data={**csrf, "operation": operation}, headers=JSON_ACCEPT)
            assert verified.status_code == 200, verified.text
            assert create_codes(backend, thief, form_of(thief.get("/").text))
        assert authenticator_ids(backend, user_id) == [authenticator_id]


def test_a_wrong_code_deletes_nothing_and_attempts_are_limited(backend):
    username = unique("guess")
    with with_codes(backend, username) as (client, csrf, user_id, authenticator_id, codes):
        before = last_seq(backend)
        answers = [client.post("/recover", data={**csrf, "code": code}) for code in
                   [WRONG_CODE, "abc", WRONG_CODE.lower(), WRONG_CODE, "", WRONG_CODE, codes[0]]]
        assert [a.status_code for a in answers] == [401, 400, 401, 401, 400, 429, 429], [a.status_code for a in answers]
        assert "That is not one of your recovery codes" in answers[0].text
        assert "A recovery code is 16 letters and digits." in answers[1].text
        assert "Please enter one of your recovery codes." in answers[4].text
        limited = answers[-1]
        assert "Too many recovery codes" in limited.text
        assert 1 <= int(limited.headers["retry-after"]) <= 15 * 60
        # Three codes reached the cloud; the malformed and empty ones and those past the limit did not.
        assert len(verifications(backend, user_id, before)) == 3
        assert not requests_to(backend, "DELETE", f"/api/v1/authenticators/{authenticator_id}", before)
        assert authenticator_ids(backend, user_id) == [authenticator_id]
        assert f"Your phone is linked (authenticator {authenticator_id})." in client.get("/").text
        # The limit is the account's: another session of it is limited too.
        with signed_in_with_password(backend, username) as (other, other_csrf):
            again = other.post("/recover", data={**other_csrf, "code": codes[1]})
            assert again.status_code == 429


def test_the_clouds_own_limit_gets_the_same_clear_page(artifacts, backend):
    """With the example's limit raised, the cloud's (5 wrong codes per user per 15 minutes)
    answers 429, and the page says the same."""
    database = artifacts / f"{backend.name}-recovery.sqlite3"
    for stale in artifacts.glob(f"{backend.name}-recovery.sqlite3*"):
        stale.unlink()
    lenient = start_backend(backend.name, artifacts, database, "--recovery-attempts-per-account", "50",
                            label="-recovery")
    try:
        with with_codes(lenient, unique("cloud")) as (client, csrf, user_id, authenticator_id, codes):
            before = last_seq(lenient)
            statuses = [client.post("/recover", data={**csrf, "code": WRONG_CODE}).status_code for _ in range(5)]
            assert statuses == [401] * 5
            limited = client.post("/recover", data={**csrf, "code": codes[0]})
            assert limited.status_code == 429, limited.text[:300]
            assert "Too many recovery codes" in limited.text
            assert 1 <= int(limited.headers["retry-after"]) <= 15 * 60
            assert [r["responseStatus"] for r in verifications(lenient, user_id, before)] == [400] * 5 + [429]
            assert authenticator_ids(lenient, user_id) == [authenticator_id]
        assert "recovery code not checked: the cloud's limit" in lenient.log_text()
        for secret in lenient.secrets:
            assert secret not in lenient.log_text()
    finally:
        stop_backend(lenient)
        for leftover in artifacts.glob(f"{backend.name}-recovery.sqlite3*"):
            leftover.unlink()


def test_no_code_reaches_the_backend_log(backend):
    # Runs after the tests above (pytest keeps file order): every code and token they saw.
    log = backend.log_text()
    assert "recovery codes issued: user" in log and "lost phone removed: user" in log, log[-2000:]
    assert "recovery code refused: user" in log and "recovery code accepted: user" in log
    assert backend.secrets and ACCESS_KEY in backend.secrets
    for secret in backend.secrets:
        assert secret and secret not in log, f"{backend.name} backend logged a secret ({secret[:3]}…)"
