package dev.authcloud

import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** The guide's flow from Kotlin: blocking and coroutines, against the emulator. */
class FlowTest : EmulatorTest() {
    @Test
    fun `blocking flow - enroll, QR, approve, wait, verify, introspect`() {
        val enrolled = client.enroll(username = "kt-user")
        assertEquals("kt-user", enrolled.user.username)
        assertEquals("new", enrolled.user.status)
        assertTrue(enrolled.enrollment.appLinkUri.reveal().startsWith(emulator.baseUrl() + "/open?"))
        assertEquals(300 to 300, decodePng(enrolled.enrollment.qrCode.png()))
        assertTrue(enrolled.enrollment.qrCode.dataUri().startsWith("data:image/png;base64,"))
        val token = enrolled.enrollment.statusToken

        assertEquals(TransactionStatus.PENDING, client.status(token).status)
        later(200) { emulator.approve(enrolled.enrollment.transactionId) }
        val outcome = client.waitForCompletion(token, fast())
        assertTrue(outcome.succeeded)
        assertTrue(outcome.polls >= 2u, "polls: ${outcome.polls}")
        assertEquals(TransactionStatus.SUCCEEDED, outcome.status.status)

        val verified = client.verify(token)
        assertEquals(enrolled.user.userId, verified.userId)
        assertTrue(verified.introspection.active)
        assertEquals(enrolled.user.userId, verified.introspection.sub)

        val transactionToken = outcome.status.token ?: error("a succeeded status carries a token")
        val introspection = client.introspect(transactionToken)
        assertTrue(introspection.active)
        assertEquals(listOf("api"), introspection.aud)
        assertFalse(client.introspect(Secret("not-a-token")).active)
    }

    @Test
    fun `coroutine flow - suspend enroll, wait, verify, introspect`() = runBlocking {
        val enrolled = asyncClient.enroll(username = "co-user")
        assertEquals(300 to 300, decodePng(enrolled.enrollment.qrCode.png()))
        val token = enrolled.enrollment.statusToken
        launch {
            delay(200)
            emulator.approve(enrolled.enrollment.transactionId)
        }
        val outcome = asyncClient.waitForCompletion(token, fast())
        assertTrue(outcome.succeeded)
        assertTrue(outcome.polls >= 2u, "polls: ${outcome.polls}")
        val verified = asyncClient.verify(token)
        assertEquals(enrolled.user.userId, verified.userId)
        assertEquals("co-user", verified.username)
        assertTrue(asyncClient.introspect(outcome.status.token!!).active)
        assertEquals(TransactionStatus.SUCCEEDED, asyncClient.status(token).status)
    }

    @Test
    fun `a denied enrollment ends the wait with failed, and verify refuses it`() {
        val enrolled = client.enroll(username = "declines")
        later(150) { emulator.deny(enrolled.enrollment.transactionId) }
        val outcome = client.waitForCompletion(enrolled.enrollment.statusToken, fast())
        assertFalse(outcome.succeeded)
        assertEquals(TransactionStatus.FAILED, outcome.status.status)
        val refused = assertThrows<AuthCloudException.NotVerified> { client.verify(enrolled.enrollment.statusToken) }
        assertEquals(VerificationCheck.NOT_SUCCEEDED, refused.check)
    }

    @Test
    fun `hundred concurrent enrollments and waits in coroutines on one thread`() {
        val emu = Emulator.start(EmulatorOptions(autoApproveAfterMs = 300u))
        emu.use {
            AsyncClient(configFor(emu).copy(requestTimeoutMs = 2000uL * SLOWDOWN.toULong())).use { async100 ->
                val started = System.nanoTime()
                // runBlocking is a single thread: 100 waits only overlap if suspending
                // calls really suspend instead of blocking it.
                val results = runBlocking {
                    (0 until 100).map { i ->
                        async {
                            val enrolled = async100.enroll(username = "user-$i")
                            val outcome = async100.waitForCompletion(enrolled.enrollment.statusToken, fast(pollMs = 100))
                            enrolled.user.username to outcome.succeeded
                        }
                    }.awaitAll()
                }
                val seconds = (System.nanoTime() - started) / 1e9
                assertEquals((0 until 100).map { "user-$it" to true }, results)
                assertTrue(seconds < 20 * SLOWDOWN, "took $seconds s")
                assertEquals(100, emu.requestsTo(ENROLL_PATH).size)
            }
        }
    }

    @Test
    fun `an intent token lets a device enroll but not introspect`() {
        val intent = client.createIntent(IntentOperation.ENROLL, username = "phone")
        Client(ClientConfig(baseUrl = emulator.baseUrl(), intentToken = intent)).use { device ->
            val enrolled = device.enroll(username = "phone")
            assertEquals("phone", enrolled.user.username)
            val refused = assertThrows<AuthCloudException.Configuration> {
                device.introspect(enrolled.enrollment.statusToken)
            }
            assertTrue("access key" in refused.reason, refused.reason)
        }
    }

    @Test
    fun `the native library comes from the classpath, not a library path`() {
        assertEquals(null, System.getProperty("jna.library.path"))
        val resource = javaClass.classLoader.getResource("linux-x86-64/libauthcloud_ffi.so")
        assertTrue(resource != null, "linux-x86-64/libauthcloud_ffi.so is on the classpath")
        assertTrue(emulator.baseUrl().startsWith("http://127.0.0.1:"))
    }
}
