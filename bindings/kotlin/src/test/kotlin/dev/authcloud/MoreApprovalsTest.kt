package dev.authcloud

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * SMS, usernameless and any-authenticator approvals, the push limit and the log export from
 * Kotlin, blocking and suspending, against the emulator.
 */
class MoreApprovalsTest : EmulatorTest() {
    private fun withApp(username: String): String {
        val enrolled = client.enroll(username = username)
        emulator.approve(enrolled.enrollment.transactionId)
        return enrolled.user.userId
    }

    private fun withPhone(username: String): String {
        val enrolled = client.enrollSms("+41791234567", username = username)
        val userId = enrolled.user.userId
        val code = emulator.smsMessagesTo(userId).last().code
        assertEquals(CodeVerdict.CORRECT, client.verifyCode(userId, CodeCheck.Sms(enrolled.statusToken, Secret(code))))
        return userId
    }

    @Test
    fun `an SMS approval is decided by the code, then verified`() {
        val userId = withPhone("kt-sms-login")
        val approval = client.approve(
            ApprovalRequest(userId = userId, channel = ApprovalChannel.SMS, message = "Acme login {{CODE}}"),
        )
        assertNull(approval.qrCode)
        val sms = emulator.smsMessagesTo(userId).last()
        assertEquals("Acme login ${sms.code}", sms.text)
        assertEquals(TransactionStatus.PENDING, client.status(approval.statusToken).status)
        assertEquals(CodeVerdict.CORRECT, client.verifyCode(userId, CodeCheck.Sms(approval.statusToken, Secret(sms.code))))
        val verified = client.verify(approval.statusToken, expectedUserId = userId, expectedTransactionId = approval.transactionId)
        assertEquals(userId, verified.userId)
    }

    @Test
    fun `a usernameless approval names the user only once approved`() = runBlocking {
        withApp("kt-bystander")
        val userId = withApp("kt-scanner")
        val approval = asyncClient.approve(ApprovalRequest(usernameless = true))
        assertTrue(approval.appLinkUri!!.href().startsWith(emulator.baseUrl()))
        val pending = asyncClient.status(approval.statusToken)
        assertEquals(TransactionStatus.PENDING, pending.status)
        assertNull(pending.userId)
        emulator.approveAs(approval.transactionId, userId)
        val outcome = asyncClient.waitForCompletion(approval.statusToken, fast())
        assertTrue(outcome.succeeded)
        assertEquals(userId, outcome.status.userId)
        assertEquals("kt-scanner", outcome.status.username)
        assertEquals(userId, asyncClient.verify(approval.statusToken, expectedTransactionId = approval.transactionId).userId)
    }

    @Test
    fun `any of the user's apps may approve`() {
        val userId = withApp("kt-two-phones")
        emulator.approve(client.enroll(userId = userId).enrollment.transactionId)
        val approval = client.approve(
            ApprovalRequestBuilder.forUserId(userId).channel(ApprovalChannel.APP).authenticatorId("*").build(),
        )
        emulator.approve(approval.transactionId)
        assertEquals(userId, client.verify(approval.statusToken, expectedUserId = userId).userId)
    }

    @Test
    fun `a user pushed past the limit shows exceededRateLimits`() {
        val limited = EmulatorOptionsBuilder().pushLimit(RateLimit(max = 2u, periodMs = 3_600_000u)).start()
        try {
            Client(configFor(limited)).use { limitedClient ->
                val enrolled = limitedClient.enroll(username = "kt-pushed")
                limited.approve(enrolled.enrollment.transactionId)
                val userId = enrolled.user.userId
                assertEquals(emptyList<String>(), limitedClient.getUser(userId).exceededRateLimits)
                repeat(2) { limitedClient.approve(ApprovalRequest(userId = userId)) }
                assertEquals(listOf("push"), limitedClient.getUser(userId).exceededRateLimits)
                assertThrows<AuthCloudException.RateLimited> { limitedClient.approve(ApprovalRequest(userId = userId)) }
                assertEquals(3, limited.requestsTo("/api/v1/approval").size)
            }
        } finally {
            limited.stop()
            limited.close()
        }
    }

    @Test
    fun `bad approvals are refused before anything is sent`() {
        val cases = listOf(
            ApprovalRequest(username = "x", channel = ApprovalChannel.SMS, message = "no placeholder") to "message",
            ApprovalRequest(username = "x", channel = ApprovalChannel.SMS, message = "Kód {{CODE}} ✓") to "message",
            ApprovalRequest(username = "u".repeat(301)) to "username",
            ApprovalRequest(username = "x", authenticatorId = "*") to "authenticatorId",
        )
        for ((request, field) in cases) {
            val error = assertThrows<AuthCloudException.InvalidInput> { client.approve(request) }
            assertEquals(field, error.field, "$request")
        }
        assertTrue(emulator.requestsTo("/api/v1/approval").isEmpty())
    }

    @Test
    fun `the log export with two filters returns exactly the matching rows`() {
        val userIds = listOf("kt-log-anna", "kt-log-bert").map { withApp(it) }
        emulator.deny(client.approve(ApprovalRequest(userId = userIds[0])).transactionId)
        emulator.approve(client.approve(ApprovalRequest(userId = userIds[1])).transactionId)
        val everything = client.exportLogs().events
        val expected = everything.filter { it.category == "approval" && it.status == "failure" }
        assertTrue(expected.isNotEmpty())
        val query = LogQueryBuilder().categories(listOf("approval")).statuses(listOf("failure"))
            .timespan(java.time.Duration.ofHours(1)).build()
        val rows = client.exportLogs(query).events
        assertEquals(expected, rows)
        assertEquals(setOf(userIds[0]), rows.map { it.userId }.toSet())
        val error = assertThrows<AuthCloudException.InvalidInput> { client.exportLogs(LogQuery(filter = "a")) }
        assertEquals("filter", error.field)
    }
}
