package dev.authcloud

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout
import org.junit.jupiter.api.assertThrows
import java.util.concurrent.TimeUnit

/**
 * The last ways to lose an operation (issue 18, part 5), from Kotlin against the emulator: an
 * enroll or approval answer without its ids keeps its status token, a request with effects is
 * not sent with too little time left after waiting for a request slot, and an approval is
 * re-sent after a 503 only when it carries Retry-After. Each test runs on its own thread under
 * a deadline, so a hang fails instead of stalling the build.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LostOperationsTest : EmulatorTest() {
    private val approvalPath = "/api/v1/approval"

    private fun registered(username: String): String {
        val enrolled = client.enroll(username = username)
        emulator.approve(enrolled.enrollment.transactionId)
        return enrolled.user.userId
    }

    /** A real enrollment's answer without the fields in [drop]: its status token is genuine. */
    private fun partialEnrollAnswer(drop: Set<String>): Pair<EnrollResult, String> {
        val real = client.enroll(username = "kt-partial")
        val enrollment = listOfNotNull(
            """"transactionId": "${real.enrollment.transactionId}"""".takeUnless { "transactionId" in drop },
            """"statusToken": "${real.enrollment.statusToken.reveal()}"""",
            """"appLinkUri": "${real.enrollment.appLinkUri.reveal()}"""",
        ).joinToString(", ")
        val root = listOfNotNull(
            """"userId": "${real.user.userId}"""".takeUnless { "userId" in drop },
            """"username": "kt-partial", "status": "new"""",
            """"enrollment": {$enrollment}""",
        ).joinToString(", ")
        return real to "{$root}"
    }

    @Test
    fun `an enroll answer without its ids takes them from status`() {
        for (drop in listOf(setOf("transactionId"), setOf("userId"), setOf("transactionId", "userId"))) {
            val (real, body) = partialEnrollAnswer(drop)
            emulator.injectFault(ENROLL_PATH, Fault.Json(status = 201u, bodyJson = body))
            val lookups = statusRequests()
            val enrolled = client.enroll(username = "kt-partial")
            assertFalse(enrolled.idsMissing, "$drop")
            assertEquals(real.enrollment.transactionId, enrolled.enrollment.transactionId, "$drop")
            assertEquals(real.user.userId, enrolled.user.userId, "$drop")
            assertEquals(real.enrollment.statusToken.reveal(), enrolled.enrollment.statusToken.reveal())
            assertEquals(lookups + 1, statusRequests(), "one status lookup")
        }
    }

    @Test
    fun `an enroll answer without ids keeps its status token when status fails too`() {
        val (real, body) = partialEnrollAnswer(setOf("transactionId", "userId"))
        emulator.injectFault(ENROLL_PATH, Fault.Json(status = 201u, bodyJson = body))
        emulator.injectFault(STATUS_PATH, Fault.Status(status = 500u, retryAfterSecs = null))
        val enrolled = client.enroll(username = "kt-partial")
        assertTrue(enrolled.idsMissing)
        assertEquals("", enrolled.enrollment.transactionId)
        assertEquals("", enrolled.user.userId)
        val token = enrolled.enrollment.statusToken
        assertEquals(real.enrollment.statusToken.reveal(), token.reveal(), "the status token is kept")
        // The registration goes on with the token alone.
        emulator.approve(real.enrollment.transactionId)
        val outcome = client.waitForCompletion(token, fast())
        assertTrue(outcome.succeeded)
        assertEquals(real.enrollment.transactionId, outcome.status.transactionId)
        assertEquals(real.user.userId, client.verify(token).userId)
        // An empty id never matches: binding to it refuses.
        assertThrows<AuthCloudException.NotVerified> {
            client.verify(token, expectedTransactionId = enrolled.enrollment.transactionId)
        }
    }

    @Test
    fun `an approval answer without its transaction id is completed, or kept with its token`() {
        val userId = registered("kt-partial-login")
        val request = ApprovalRequest(userId = userId)
        val real = client.approve(request)
        val body = """{"statusToken": "${real.statusToken.reveal()}"}"""

        emulator.injectFault(approvalPath, Fault.Json(status = 200u, bodyJson = body))
        val completed = client.approve(request)
        assertFalse(completed.idsMissing)
        assertEquals(real.transactionId, completed.transactionId)

        emulator.injectFault(approvalPath, Fault.Json(status = 200u, bodyJson = body))
        emulator.injectFault(STATUS_PATH, Fault.Status(status = 500u, retryAfterSecs = null))
        val kept = client.approve(request)
        assertTrue(kept.idsMissing)
        assertEquals("", kept.transactionId)
        assertEquals(real.statusToken.reveal(), kept.statusToken.reveal())
        assertEquals(3, emulator.requestsTo(approvalPath).size, "each approval sent once")
    }

    @Test
    fun `a request with effects queued for a slot is not sent with too little time left`() {
        val userId = registered("kt-floor")
        val request = ApprovalRequest(userId = userId)
        val token = client.enroll(username = "kt-holder").enrollment.statusToken
        // One slot; an attempt and the whole call may take 1 s, so the send floor is 500 ms.
        val config = configFor(emulator).copy(maxConcurrentRequests = 1u, requestTimeoutMs = 1000u, callTimeoutMs = 1000u)
        Client(config).use { oneSlot ->
            val calls = listOf<Pair<String, () -> Unit>>(
                ENROLL_PATH to { oneSlot.enroll(username = "kt-queued") },
                approvalPath to { oneSlot.approve(request) },
            )
            for ((path, call) in calls) {
                // A status call holds the only slot for 800 ms: once it is free, 200 ms would
                // be left of the 1 s, below the floor.
                val seen = statusRequests()
                emulator.injectFault(STATUS_PATH, Fault.Delay(delayMs = 800u))
                val holder = Thread { oneSlot.status(token) }.apply {
                    isDaemon = true
                    start()
                }
                while (statusRequests() == seen) Thread.sleep(5)
                val sent = emulator.requestsTo(path).size
                val started = System.nanoTime()
                val error = assertThrows<AuthCloudException.Timeout> { call() }
                val tookMs = (System.nanoTime() - started) / 1_000_000
                // Ended by the 1 s call deadline (plus scheduling slack), not after a send.
                assertTrue(tookMs < 1000 + 200 * SLOWDOWN, "$path gave up after $tookMs ms")
                assertTrue(error.notSent, error.toString())
                assertTrue("was not sent" in error.message!! && "safe to retry" in error.message!!, error.message)
                assertEquals("timeout", error.kind())
                holder.join(5_000)
                assertFalse(holder.isAlive)
                assertEquals(sent, emulator.requestsTo(path).size, "$path reached the emulator")
            }
            assertTrue(emulator.pendingApprovals(userId).isEmpty(), "no push went to the phone")
            // Not sent means safe to retry: with the slot free, the same calls go through.
            oneSlot.enroll(username = "kt-queued")
            oneSlot.approve(request)
            assertEquals(1, emulator.pendingApprovals(userId).size)
        }
    }

    @Test
    fun `an approval is re-sent after a 503 only with Retry-After`() {
        val userId = registered("kt-gateway")
        val request = ApprovalRequest(userId = userId)
        emulator.injectFault(approvalPath, Fault.Status(status = 503u, retryAfterSecs = null))
        val error = assertThrows<AuthCloudException.Server> { client.approve(request) }
        assertEquals(503.toUShort(), error.httpStatus)
        assertEquals(1, emulator.requestsTo(approvalPath).size, "exactly one approval request")

        emulator.injectFault(approvalPath, Fault.Status(status = 503u, retryAfterSecs = 0u))
        val approval = client.approve(request)
        assertEquals(3, emulator.requestsTo(approvalPath).size, "the refused one and its re-send")
        assertEquals(listOf(approval.transactionId), emulator.pendingApprovals(userId).map { it.transactionId })
    }
}
