"""The guide's flow in Python (blocking), against the emulator that ships in the wheel.

Against a real instance, use ClientConfig(instance="acme", access_key=Secret(key)) and
let the user scan the QR code with the authenticator app instead of emu.approve().
"""

import authcloud

emu = authcloud.Emulator.start()                                   # stands in for the cloud
client = authcloud.Client(authcloud.ClientConfig(base_url=emu.base_url(), access_key=emu.access_key()))

enrolled = client.enroll(username="u12345")                        # 1. start the registration
open("qr.png", "wb").write(enrolled.enrollment.qr_code.png())      # 2. show the QR code / link
link = enrolled.enrollment.app_link_uri                            #    (checked: https, or loopback)
print("scan qr.png or open", link.href() if link.is_valid() else f"(no link: {link.problem()})")
emu.approve(enrolled.enrollment.transaction_id)                    #    (the simulated phone)
outcome = client.wait_for_completion(enrolled.enrollment.status_token)  # 3. poll every 1.5 s
assert outcome.succeeded, outcome.status.status_text
user = client.verify(                                              # 4. backend: status + introspect,
    enrolled.enrollment.status_token,                              #    bound to what this session enrolled
    expected_user_id=enrolled.user.user_id,
    expected_transaction_id=enrolled.enrollment.transaction_id,
)
print("verified", user.user_id, user.username, "active:", user.introspection.active)

try:                                                               # errors: typed, and sentences
    client.enroll(username="not an id")
except authcloud.AuthCloudError as error:
    print(f"{error.kind()}: {error}")
else:
    raise SystemExit("expected the username 'not an id' to be refused")
