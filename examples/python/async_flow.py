"""The guide's flow with asyncio: the same steps, awaited; a progress observer prints each
status while the simulated phone approves after a second."""

import asyncio

import authcloud


class Progress(authcloud.WaitObserver):
    def on_status(self, update: authcloud.StatusUpdate) -> None:
        print(f"  poll {update.poll}: {update.status.status_text}")

    def on_transient_error(self, error: authcloud.AuthCloudError, retry_in_ms: int) -> None:
        print(f"  transient error ({error}); retrying in {retry_in_ms} ms")

    def on_finished(self, outcome: authcloud.WaitOutcome) -> None:
        print("  finished:", outcome.status.status_text)

    def on_failed(self, error: authcloud.AuthCloudError) -> None:
        print("  failed:", error)


async def main() -> None:
    emu = authcloud.Emulator.start(authcloud.EmulatorOptions(auto_approve_after_ms=1000))
    client = authcloud.AsyncClient(authcloud.ClientConfig(base_url=emu.base_url(), access_key=emu.access_key()))
    enrolled = await client.enroll(username="u12345")
    print("open", enrolled.enrollment.app_link_uri.href())
    outcome = await client.wait_for_completion(enrolled.enrollment.status_token, observer=Progress())
    assert outcome.succeeded
    user = await client.verify(enrolled.enrollment.status_token, expected_user_id=enrolled.user.user_id)
    print("verified", user.user_id, "active:", user.introspection.active)
    emu.stop()


asyncio.run(main())
