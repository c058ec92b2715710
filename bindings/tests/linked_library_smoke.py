"""Drives the size stage's library (linked as the mobile builds link it) through one whole
registration against a real emulator process: proof that folding identical code (lld
--icf=all) and packed relocations left a library that works, not only a smaller file.

    python3 linked_library_smoke.py DIR BASE_URL ACCESS_KEY

DIR holds the generated `authcloud.py` and the library as `libauthcloud_ffi.so`; the
emulator approves every enrollment shortly after it was made (`--auto-approve-after`).
"""

import sys
import threading

sys.path.insert(0, sys.argv[1])
import authcloud  # noqa: E402

base_url, access_key = sys.argv[2], sys.argv[3]
key = authcloud.Secret(access_key)
client = authcloud.Client(authcloud.ClientConfig(base_url=base_url, access_key=key))
enrolled = client.enroll(username="size-smoke").enrollment
assert enrolled.qr_code.png().startswith(b"\x89PNG"), "the QR code decodes to a PNG"
assert client.status(enrolled.status_token).status == authcloud.TransactionStatus.PENDING
outcome = client.wait_for_completion(
    enrolled.status_token, authcloud.WaitOptions(poll_interval_ms=100, timeout_ms=20_000)
)
assert outcome.succeeded and outcome.status.status == authcloud.TransactionStatus.SUCCEEDED, outcome
user = client.verify(enrolled.status_token, expected_transaction_id=enrolled.transaction_id)
assert user.user_id
# A typed error crosses the FFI (the unwinding tables are there), and a cancelled wait ends.
try:
    authcloud.Client(authcloud.ClientConfig(base_url="ftp://x", access_key=key))
    raise SystemExit("a bad base URL was accepted")
except authcloud.AuthCloudError as error:
    assert "base URL" in str(error), error
second = client.enroll(username="size-smoke-2").enrollment
cancel = authcloud.CancelToken()
threading.Timer(0.3, cancel.cancel).start()
try:
    client.wait_for_completion(second.status_token, authcloud.WaitOptions(timeout_ms=20_000), cancel=cancel)
    raise SystemExit("the cancelled wait did not end")
except authcloud.AuthCloudError.Cancelled:
    pass
print("linked library: enroll, status, wait, verify, typed error and cancel all work")
