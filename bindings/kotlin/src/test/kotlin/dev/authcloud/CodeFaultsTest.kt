package dev.authcloud

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/**
 * The fault matrix on the endpoints of the code channels, the SMS approval and the log
 * export, from Kotlin: every fault ends in a typed error or (where sending again is safe)
 * the answer, and each request reaches the emulator exactly as often as the re-send rules
 * allow. The same table as the Rust and Python suites, so a binding cannot drift.
 */
class CodeFaultsTest : EmulatorTest() {
    private val faults = linkedMapOf(
        "500" to Fault.Status(status = 500u, retryAfterSecs = null),
        "drop" to Fault.Drop,
        "garbage" to Fault.Garbage,
        "truncated" to Fault.Truncated,
        "429" to Fault.Status(status = 429u, retryAfterSecs = 0u),
        "503" to Fault.Status(status = 503u, retryAfterSecs = null),
    )

    /** What one faulty exchange came to: the answer or the typed error, and the requests sent. */
    private data class Outcome(val value: Any, val sent: Int)

    private fun withFault(path: String, fault: String, call: () -> Any): Outcome {
        val before = emulator.requestsTo(path).size
        emulator.injectFault(path, faults.getValue(fault), 1u)
        val value = try {
            call()
        } catch (error: AuthCloudException) {
            assertFalse(error is AuthCloudException.InvalidInput, error.toString())
            error
        }
        return Outcome(value, emulator.requestsTo(path).size - before)
    }

    /** (fault, answered?, requests sent): an operation never re-sent once it may have arrived. */
    private val neverResent = listOf(
        Triple("500", false, 1), Triple("drop", false, 1), Triple("garbage", false, 1),
        Triple("truncated", false, 1), Triple("429", true, 2), Triple("503", false, 1),
    )

    @Test
    fun `an SMS enrollment is sent once unless refused`() {
        for ((fault, answered, sent) in neverResent) {
            val outcome = withFault(ENROLL_PATH, fault) { client.enrollSms("+41791234567", username = "kt-fault-$fault") }
            assertEquals(sent, outcome.sent, fault)
            assertEquals(answered, outcome.value is SmsEnrollResult, "$fault: ${outcome.value}")
        }
    }

    @Test
    fun `an SMS approval is sent once unless refused, and never texts twice`() {
        for ((fault, answered, sent) in neverResent) {
            val enrolled = client.enrollSms("+41791234567", username = "kt-sms-fault-$fault")
            val userId = enrolled.user.userId
            val code = emulator.smsMessagesTo(userId).last().code
            assertEquals(CodeVerdict.CORRECT, client.verifyCode(userId, CodeCheck.Sms(enrolled.statusToken, Secret(code))))
            val request = ApprovalRequest(userId = userId, channel = ApprovalChannel.SMS)
            val outcome = withFault("/api/v1/approval", fault) { client.approve(request) }
            assertEquals(sent, outcome.sent, fault)
            assertEquals(answered, outcome.value is ApprovalResult, "$fault: ${outcome.value}")
            assertTrue(emulator.smsMessagesTo(userId).size <= 2, "$fault: a second SMS for one approval")
        }
    }

    @Test
    fun `a code check is sent once unless refused (garbage in a 200 is still a right code)`() {
        val userId = client.enroll(username = "kt-code-faults").user.userId
        val codes = client.requestRecoveryCodes(userId = userId).codes
        val path = "/api/v1/users/$userId/verification"
        val expected = listOf(
            Triple("500", null, 1), Triple("drop", null, 1), Triple("garbage", CodeVerdict.CORRECT, 1),
            Triple("truncated", null, 1), Triple("429", CodeVerdict.CORRECT, 2), Triple("503", null, 1),
        )
        for ((index, row) in expected.withIndex()) {
            val (fault, verdict, sent) = row
            val outcome = withFault(path, fault) { client.verifyCode(userId, CodeCheck.Recovery(codes[index])) }
            assertEquals(sent, outcome.sent, fault)
            if (verdict == null) {
                assertTrue(outcome.value is AuthCloudException, "$fault: ${outcome.value}")
            } else {
                assertEquals(verdict, outcome.value, fault)
            }
        }
    }

    @Test
    fun `recovery codes are requested again only after a refusal`() {
        // A duplicate replaces the set, so only "surely not processed" (429, bare 503) is re-sent.
        val expected = listOf(
            Triple("500", false, 1), Triple("drop", false, 1), Triple("garbage", false, 1),
            Triple("truncated", false, 1), Triple("429", true, 2), Triple("503", true, 2),
        )
        for ((fault, answered, sent) in expected) {
            val userId = client.enroll(username = "kt-recovery-fault-$fault").user.userId
            val outcome = withFault(ENROLL_PATH, fault) { client.requestRecoveryCodes(userId = userId) }
            assertEquals(sent, outcome.sent, fault)
            assertEquals(answered, outcome.value is RecoveryCodes, "$fault: ${outcome.value}")
        }
    }

    @Test
    fun `the log export is retried as a read`() {
        client.enroll(username = "kt-export-fault")
        val expected = listOf(
            Triple("500", false, 1), Triple("drop", true, 2), Triple("garbage", false, 1),
            Triple("truncated", true, 2), Triple("429", true, 2), Triple("503", true, 2),
        )
        for ((fault, answered, sent) in expected) {
            val outcome = withFault("/api/v1/logs/export", fault) { client.exportLogs() }
            assertEquals(sent, outcome.sent, fault)
            assertEquals(answered, outcome.value is LogExport, "$fault: ${outcome.value}")
            when {
                answered -> assertTrue((outcome.value as LogExport).events.isNotEmpty(), fault)
                fault == "garbage" -> assertTrue(outcome.value is AuthCloudException.MalformedResponse, "${outcome.value}")
            }
        }
    }
}
