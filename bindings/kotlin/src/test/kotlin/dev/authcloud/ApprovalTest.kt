package dev.authcloud

import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

const val APPROVAL_PATH = "/api/v1/approval"

/** Log in with the registered phone (approval), and manage users — from Kotlin, against the emulator. */
class ApprovalTest : EmulatorTest() {
    /** A user whose registration the phone approved: active, with one authenticator. */
    private fun registered(username: String): User {
        val enrolled = client.enroll(username = username)
        emulator.approve(enrolled.enrollment.transactionId)
        val user = client.getUser(enrolled.user.userId)
        assertEquals("active", user.status)
        assertEquals(1, user.authenticators.size)
        return user
    }

    @Test
    fun `blocking - register, log in by push with a prompt, approve, wait, verify`() {
        val user = registered("kt-login")
        assertNull(user.lastLoginSuccess)
        val message = "<html>Log in to <b>Acme</b>?</html>"
        val approval = client.approve(
            ApprovalRequest(userId = user.userId, prompt = true, message = message, notificationMessage = "Acme login"),
        )
        assertNull(approval.qrCode)
        assertNull(approval.appLinkUri)

        val pending = emulator.pendingApprovals(user.userId)
        assertEquals(listOf(approval.transactionId), pending.map { it.transactionId })
        with(pending.single()) {
            assertEquals("push", channel)
            assertTrue(prompt)
            assertEquals(message, this.message)
            assertEquals("Acme login", notificationMessage)
        }
        assertEquals(TransactionStatus.PENDING, client.status(approval.statusToken).status)

        later(200) { emulator.approve(approval.transactionId) }
        val outcome = client.waitForCompletion(approval.statusToken, fast())
        assertTrue(outcome.succeeded)
        assertEquals(TransactionStatus.SUCCEEDED, outcome.status.status)
        assertTrue(emulator.pendingApprovals(user.userId).isEmpty())

        val verified = client.verify(
            approval.statusToken,
            expectedUserId = user.userId,
            expectedTransactionId = approval.transactionId,
        )
        assertEquals(user.userId, verified.userId)
        assertEquals("kt-login", verified.username)
        assertTrue(verified.introspection.active)
        assertNotNull(client.getUser(user.userId).lastLoginSuccess)
        assertEquals(1, emulator.requestsTo(APPROVAL_PATH).size)
    }

    @Test
    fun `coroutines - suspend approve by username, status updates as a Flow, verify`() = runBlocking {
        val user = registered("kt-async-login")
        val approval = asyncClient.approve(ApprovalRequest(username = "kt-async-login"))
        launch {
            delay(300)
            emulator.approve(approval.transactionId)
        }
        val seen = asyncClient.statusUpdates(approval.statusToken, fast()).map { it.status.status }.toList()
        assertEquals(TransactionStatus.SUCCEEDED, seen.last())
        assertTrue(seen.dropLast(1).all { it == TransactionStatus.PENDING }, "seen: $seen")

        val verified = asyncClient.verify(approval.statusToken, expectedTransactionId = approval.transactionId)
        assertEquals(user.userId, verified.userId)
        assertNotNull(asyncClient.getUser(user.userId).lastLoginSuccess)
        assertEquals(user.userId, asyncClient.findUser("kt-async-login")?.userId)
        assertEquals(1, emulator.requestsTo(APPROVAL_PATH).size)
    }

    @Test
    fun `a declined approval by the app channel ends failed and verify refuses it`() {
        val user = registered("kt-app-login")
        val approval = client.approve(
            ApprovalRequest(userId = user.userId, channel = ApprovalChannel.APP, authenticatorId = "*"),
        )
        val qrCode = approval.qrCode ?: error("the app channel answers a QR code")
        assertEquals(300 to 300, decodePng(qrCode.png()))
        val link = approval.appLinkUri ?: error("the app channel answers a deep link")
        assertTrue(link.isValid())
        assertTrue(link.href().startsWith(emulator.baseUrl() + "/open?"), "the link points at the emulator")
        with(emulator.pendingApprovals(user.userId).single()) {
            assertEquals("app", channel)
            assertEquals("*", authenticatorId)
            assertFalse(prompt)
        }

        later(150) { emulator.deny(approval.transactionId) }
        val recorder = Recorder()
        val outcome = client.waitForCompletion(approval.statusToken, fast(), observer = recorder)
        assertFalse(outcome.succeeded)
        assertEquals(TransactionStatus.FAILED, outcome.status.status)
        assertEquals("finished false", recorder.snapshot().last())
        val refused = assertThrows<AuthCloudException.NotVerified> { client.verify(approval.statusToken) }
        assertEquals(VerificationCheck.NOT_SUCCEEDED, refused.check)
        assertNotNull(client.getUser(user.userId).lastLoginFailure)
    }

    @Test
    fun `after deleting the only authenticator an approval fails clearly`() {
        val user = registered("kt-lost-phone")
        val authenticatorId = user.authenticators.single().authenticatorId
        assertEquals(DeleteOutcome.DELETED, client.deleteAuthenticator(authenticatorId))
        assertEquals(DeleteOutcome.NOT_FOUND, client.deleteAuthenticator(authenticatorId))
        assertTrue(client.getUser(user.userId).authenticators.isEmpty())

        val e = assertThrows<AuthCloudException.Api> { client.approve(ApprovalRequest(userId = user.userId)) }
        assertEquals(400, e.httpStatus.toInt())
        val message = e.message
        assertTrue(message.startsWith("400 Bad Request from POST /api/v1/approval"), message)
        assertTrue("the user has no authenticator" in message, message)
        assertEquals(400, JavaAccess.httpStatus(e))
        assertTrue(emulator.pendingApprovals(user.userId).isEmpty())
    }

    @Test
    fun `message rules are checked before anything is sent`() = runBlocking {
        val cases = listOf("<html><script>x</script></html>" to "<script>", "<html><b class=x>y</b></html>" to "`class`")
        for ((message, named) in cases) {
            val blocking = assertThrows<AuthCloudException.InvalidInput> {
                client.approve(ApprovalRequest(username = "u", prompt = true, message = message))
            }
            assertEquals("message", blocking.field)
            assertTrue(named in blocking.reason, blocking.reason)
            val suspending = try {
                asyncClient.approve(ApprovalRequest(username = "u", prompt = true, message = message))
                error("the suspending approve accepted $message")
            } catch (e: AuthCloudException.InvalidInput) {
                e
            }
            assertEquals("message", suspending.field)
            assertTrue(named in suspending.reason, suspending.reason)
        }
        assertTrue(emulator.requestsTo(APPROVAL_PATH).isEmpty())
    }

    @Test
    fun `a request names exactly one user, checked locally`() {
        val neither = assertThrows<AuthCloudException.InvalidInput> { client.approve(ApprovalRequest()) }
        assertEquals("username", neither.field)
        val both = assertThrows<AuthCloudException.InvalidInput> {
            client.approve(ApprovalRequest(username = "a", userId = "b"))
        }
        assertEquals("username", both.field)
        assertTrue(emulator.requests().isEmpty())
    }

    @Test
    fun `users - find, rename, delete, get NotFound, ping`() = runBlocking {
        val user = registered("kt-managed")
        assertEquals(user.userId, client.findUser("kt-managed")?.userId)
        assertNull(client.findUser("nobody-here"))
        assertNull(asyncClient.findUser("nobody-here"))

        val authenticatorId = user.authenticators.single().authenticatorId
        val renamed = client.renameAuthenticator(authenticatorId, "Anna's phone")
        assertEquals("Anna's phone", renamed?.name)
        assertEquals("Anna's phone", client.getUser(user.userId).authenticators.single().name)

        assertEquals(DeleteOutcome.DELETED, asyncClient.deleteUser(user.userId))
        assertEquals(DeleteOutcome.NOT_FOUND, client.deleteUser(user.userId))
        assertThrows<AuthCloudException.NotFound> { client.getUser(user.userId) }
        val suspending = try {
            asyncClient.getUser(user.userId)
            error("a deleted user was found")
        } catch (e: AuthCloudException.NotFound) {
            e
        }
        assertEquals(404, JavaAccess.httpStatus(suspending))
        assertNull(client.findUser("kt-managed"))

        client.ping()
        asyncClient.ping()
    }

    @Test
    fun `ApprovalRequestBuilder builds what approve sends, and copies`() {
        val base = ApprovalRequestBuilder.forUserId("user-1")
            .prompt(true)
            .message("<html>Pay <b>10 CHF</b>?</html>")
            .notificationMessage("Confirm the payment")
        val request = base.build()
        assertEquals(
            ApprovalRequest(
                userId = "user-1",
                prompt = true,
                message = "<html>Pay <b>10 CHF</b>?</html>",
                notificationMessage = "Confirm the payment",
            ),
            request,
        )
        val app = base.channel(ApprovalChannel.APP).authenticatorId("*").build()
        assertEquals(ApprovalChannel.APP, app.channel)
        assertNull(request.channel, "a built request does not change with the builder")
        assertEquals(ApprovalRequest(username = "anna"), ApprovalRequestBuilder.forUsername("anna").build())
        assertEquals(request.copy(userId = null, username = "bob"), ApprovalRequestBuilder(request).userId(null).username("bob").build())

        val user = registered("kt-built")
        val approval = client.approve(ApprovalRequestBuilder.forUsername("kt-built").build())
        emulator.approve(approval.transactionId)
        assertTrue(client.waitForCompletion(approval.statusToken, fast()).succeeded)
        assertEquals(user.userId, client.verify(approval.statusToken, expectedUserId = user.userId).userId)
    }
}
