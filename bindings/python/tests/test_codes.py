"""SMS codes and recovery codes from Python, blocking and asyncio, against the emulator."""

import asyncio

import pytest

import authcloud
from conftest import fast, requests_to


def test_register_a_phone_by_sms_and_check_its_code(emulator, client):
    enrolled = client.enroll_sms("+41791234567", username="py-sms", message="Acme: {{CODE}}")
    sms = emulator.sms_messages_to(enrolled.user.user_id)
    assert [m.to for m in sms] == ["+41791234567"] and sms[0].text == f"Acme: {sms[0].code}"
    assert enrolled.status_token.reveal() not in repr(enrolled)
    wrong = "111111" if sms[0].code == "000000" else "000000"
    check = authcloud.CodeCheck.SMS(status_token=enrolled.status_token, code=authcloud.Secret(wrong))
    assert client.verify_code(enrolled.user.user_id, check) == authcloud.CodeVerdict.INCORRECT
    check = authcloud.CodeCheck.SMS(status_token=enrolled.status_token, code=authcloud.Secret(sms[0].code))
    assert client.verify_code(enrolled.user.user_id, check) == authcloud.CodeVerdict.CORRECT
    assert client.wait_for_completion(enrolled.status_token, fast()).succeeded
    verified = client.verify(enrolled.status_token, expected_transaction_id=enrolled.transaction_id)
    assert verified.user_id == enrolled.user.user_id


def test_a_recovery_code_works_once_and_the_codes_print_redacted(emulator, client):
    user = client.enroll(username="py-recovery").user
    issued = client.request_recovery_codes(user_id=user.user_id)
    assert len(issued.codes) == 10
    first = issued.codes[0].reveal()
    assert len(first) == 16 and first.isalnum()
    assert first not in repr(issued) and first not in str(issued.codes[0])
    once = authcloud.CodeCheck.RECOVERY(code=issued.codes[0])
    assert client.verify_code(user.user_id, once) == authcloud.CodeVerdict.CORRECT
    assert client.verify_code(user.user_id, once) == authcloud.CodeVerdict.INCORRECT


def test_bad_input_is_refused_before_anything_is_sent(emulator, client):
    for kwargs, field in [
        (dict(phone="41791234567", username="x"), "phone"),
        (dict(phone="+41791234567", username="x", message="no placeholder"), "message"),
        (dict(phone="+41791234567", username="x", message="\u041a\u043e\u0434 {{CODE}}"), "message"),
        (dict(phone="+41791234567", username="u" * 301), "username"),
    ]:
        with pytest.raises(authcloud.AuthCloudError.InvalidInput) as info:
            client.enroll_sms(**kwargs)
        assert info.value.field == field
    user_id = "7e16ba00-92e2-4fcb-b30e-1af8fdc843aa"
    with pytest.raises(authcloud.AuthCloudError.InvalidInput) as info:
        client.verify_code(user_id, authcloud.CodeCheck.RECOVERY(code=authcloud.Secret("Ab3dEf6hIj9kLm0")))
    assert info.value.field == "code" and "Ab3dEf6hIj9kLm0" not in str(info.value)
    assert requests_to(emulator, "/api/v1/users/enroll") == []
    assert requests_to(emulator, f"/api/v1/users/{user_id}/verification") == []


def test_the_async_client_checks_codes_too(emulator, async_client):
    async def flow():
        enrolled = await async_client.enroll_sms("+41791234567", username="py-async-sms")
        code = emulator.sms_messages_to(enrolled.user.user_id)[-1].code
        check = authcloud.CodeCheck.SMS(status_token=enrolled.status_token, code=authcloud.Secret(code))
        return await async_client.verify_code(enrolled.user.user_id, check)

    assert asyncio.run(flow()) == authcloud.CodeVerdict.CORRECT
