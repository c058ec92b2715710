package dev.authcloud

import java.util.concurrent.Callable
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * The generated bindings reuse uniffi's per-call status structure per thread
 * (patch-bindings.sh): an error must never leak into the next call on that thread, on any
 * thread, and an observer (on a thread of the SDK's) that calls into Rust, failing and not,
 * must not disturb the wait that called it.
 */
class CallStatusReuseTest : EmulatorTest() {
    private fun failThenSucceed(round: Int) {
        val error = assertThrows<AuthCloudException> { validateApprovalMessage("<html><script>x</script></html>") }
        assertTrue(error.message!!.isNotEmpty())
        validateApprovalMessage("Log in to Acme? ($round)")
        val status = client.status(client.enroll(username = "reuse-$round-${Thread.currentThread().id}").enrollment.statusToken)
        assertEquals(TransactionStatus.PENDING, status.status)
        assertThrows<AuthCloudException.NotFound> { client.enroll(userId = "7e16ba00-92e2-4fcb-b30e-1af8fdc843aa") }
    }

    @Test
    fun `errors and successes alternate on one thread`() {
        repeat(50) { failThenSucceed(it) }
    }

    @Test
    fun `errors and successes alternate on many threads at once`() {
        val pool = Executors.newFixedThreadPool(8)
        try {
            val tasks = (0 until 8).map { thread -> Callable { repeat(10) { failThenSucceed(thread * 100 + it) } } }
            pool.invokeAll(tasks).forEach { it.get(60, TimeUnit.SECONDS) }
        } finally {
            pool.shutdownNow()
        }
    }

    @Test
    fun `an observer that calls into Rust, failing and not, leaves the wait alone`() {
        val enrolled = client.enroll(username = "reuse-nested").enrollment
        val seen = java.util.concurrent.CopyOnWriteArrayList<String>()
        // Collected here and asserted on the test's thread: a callback's own failure is
        // logged and ignored by the SDK.
        val failures = java.util.concurrent.CopyOnWriteArrayList<Throwable>()
        val observer = object : Recorder() {
            override fun onStatus(update: StatusUpdate) {
                super.onStatus(update)
                try {
                    assertThrows<AuthCloudException> { validateApprovalMessage("<html><script>x</script></html>") }
                    seen.add(client.status(enrolled.statusToken).statusText)
                } catch (failure: Throwable) {
                    failures.add(failure)
                }
            }
        }
        emulator.approve(enrolled.transactionId)
        val outcome = client.waitForCompletion(enrolled.statusToken, fast(), observer)
        assertTrue(outcome.succeeded)
        assertTrue(failures.isEmpty(), failures.toString())
        assertTrue(seen.isNotEmpty() && seen.all { it == "succeeded" }, seen.toString())
    }
}
