package dev.authcloud

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** Never lose an enrollment: the guide's literal bodies, checked deep links, bound verify, cancel tokens. */
class ReliabilityTest : EmulatorTest() {
    private fun raw(path: String, status: Int, body: String) =
        emulator.injectFault(path, Fault.Raw(status = status.toUShort(), body = body, contentType = null))

    @Test
    fun `the guide's literal enroll answer keeps the enrollment`() {
        raw(ENROLL_PATH, 201, guideBody("enroll"))
        val enrolled = client.enroll(username = "u12345")
        assertEquals("7e16ba00-92e2-4fcb-b30e-1af8fdc843aa", enrolled.user.userId)
        assertEquals("new", enrolled.user.status)
        assertEquals("67cae36e-e3d5-4d67-9aa6-ab7ae3050576", enrolled.enrollment.transactionId)
        assertEquals("eyJhbGciO...PxOZZYow", enrolled.enrollment.statusToken.reveal())
        val qr = enrolled.enrollment.qrCode
        assertEquals(300u, qr.size())
        assertEquals("...YII", qr.dataUri())
        assertThrows<AuthCloudException.MalformedResponse> { qr.png() }
        val link = enrolled.enrollment.appLinkUri
        assertFalse(link.isValid())
        assertTrue(link.problem()!!.contains("DNS name"))
        assertThrows<AuthCloudException.MalformedResponse> { link.href() }
        assertEquals(1, emulator.requestsTo(ENROLL_PATH).size)
    }

    @Test
    fun `the guide's literal status and introspect answers parse`() {
        raw(STATUS_PATH, 200, guideBody("status"))
        val status = client.status(Secret("any"))
        assertEquals(TransactionStatus.PENDING, status.status)
        assertEquals("Userxyz123", status.username)
        assertEquals("eyJhb...Fl9bpEXGGw", status.token!!.reveal())
        raw("/api/v1/introspect", 200, guideBody("introspect"))
        val introspection = client.introspect(Secret("any"))
        assertTrue(introspection.active)
        assertEquals(1642436165000L, introspection.iat)
        assertEquals(1642436165000L, introspection.issuedAtMs)
        assertEquals(listOf("api"), introspection.aud)
    }

    @Test
    fun `an unsafe deep link is flagged, not fatal`() {
        val body = """{"userId": "u", "enrollment": {"transactionId": "t", "statusToken": "s", "appLinkUri": "javascript://x/%0Aalert(1)"}}"""
        raw(ENROLL_PATH, 201, body)
        val link = client.enroll(username = "u").enrollment.appLinkUri
        assertFalse(link.isValid())
        assertTrue(link.problem()!!.contains("javascript"))
        assertEquals("javascript://x/%0Aalert(1)", link.reveal())
        val good = client.enroll(username = "u").enrollment.appLinkUri
        assertTrue(good.href().startsWith(emulator.baseUrl() + "/open?"))
        assertFalse("dispatchTokenResponse" in good.toString())
    }

    @Test
    fun `verify binds the operation to the caller's session`() {
        val mine = client.enroll(username = "mine")
        val theirs = client.enroll(username = "theirs")
        emulator.approve(theirs.enrollment.transactionId)
        val token = theirs.enrollment.statusToken
        val wrongUser = assertThrows<AuthCloudException.NotVerified> { client.verify(token, expectedUserId = mine.user.userId) }
        assertEquals(VerificationCheck.USER_MISMATCH, wrongUser.check)
        val wrongOperation = assertThrows<AuthCloudException.NotVerified> {
            runBlocking { asyncClient.verify(token, expectedTransactionId = mine.enrollment.transactionId) }
        }
        assertEquals(VerificationCheck.TRANSACTION_MISMATCH, wrongOperation.check)
        assertTrue(emulator.requestsTo("/api/v1/introspect").isEmpty(), "refused before introspect")
        val verified = client.verify(token, expectedUserId = theirs.user.userId, expectedTransactionId = theirs.enrollment.transactionId)
        assertEquals(theirs.user.userId, verified.userId)
    }

    @Test
    fun `the subject check can be turned off`() {
        val enrolled = client.enroll(username = "subject")
        emulator.approve(enrolled.enrollment.transactionId)
        val other = """{"active": true, "sub": "someone-else", "aud": "api"}"""
        raw("/api/v1/introspect", 200, other)
        val refused = assertThrows<AuthCloudException.NotVerified> { client.verify(enrolled.enrollment.statusToken) }
        assertEquals(VerificationCheck.SUBJECT_MISMATCH, refused.check)
        raw("/api/v1/introspect", 200, other)
        assertEquals(enrolled.user.userId, client.verify(enrolled.enrollment.statusToken, checkSubject = false).userId)
    }

    @Test
    fun `a CancelToken stops a blocking wait from another thread`() {
        val enrolled = client.enroll(username = "cancelled")
        val cancel = CancelToken()
        later(300) { cancel.cancel() }
        val started = System.nanoTime()
        assertThrows<AuthCloudException.Cancelled> {
            client.waitForCompletion(enrolled.enrollment.statusToken, WaitOptions(), cancel = cancel)
        }
        val elapsedMs = (System.nanoTime() - started) / 1_000_000
        assertTrue(elapsedMs < 1200, "ended at the cancel, not the next 1.5 s poll: $elapsedMs ms")
        assertTrue(cancel.isCancelled())
    }

    @Test
    fun `polling faster than 100 ms is refused`() {
        val enrolled = client.enroll(username = "impatient")
        assertThrows<AuthCloudException.InvalidInput> {
            client.waitForCompletion(enrolled.enrollment.statusToken, WaitOptions(pollIntervalMs = 50u))
        }
        assertThrows<AuthCloudException.InvalidInput> { client.watch(enrolled.enrollment.statusToken, Recorder(), WaitOptions(pollIntervalMs = 50u)) }
    }
}
