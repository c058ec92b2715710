package dev.authcloud

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** Typed exceptions, and no secret in any toString(). */
class ErrorsTest : EmulatorTest() {
    private val wrongKey = "wrong-key-0123456789"

    private fun clientWith(config: ClientConfig) = Client(config)

    @Test
    fun `401 is Unauthorized, blocking and suspending`() {
        val config = configFor(emulator).copy(accessKey = Secret(wrongKey))
        val blocking = assertThrows<AuthCloudException.Unauthorized> { clientWith(config).enroll(username = "u") }
        assertEquals(401, blocking.httpStatus.toInt())
        assertFalse(wrongKey in blocking.toString())
        val suspending = assertThrows<AuthCloudException.Unauthorized> {
            runBlocking { AsyncClient(config).use { it.enroll(username = "u") } }
        }
        assertEquals(401, suspending.httpStatus.toInt())
    }

    @Test
    fun `404 is NotFound`() {
        assertThrows<AuthCloudException.NotFound> { client.enroll(userId = "7e16ba00-92e2-4fcb-b30e-1af8fdc843aa") }
        assertThrows<AuthCloudException.NotFound> {
            runBlocking { asyncClient.enroll(userId = "7e16ba00-92e2-4fcb-b30e-1af8fdc843aa") }
        }
    }

    @Test
    fun `429 is RateLimited with the server's Retry-After`() {
        emulator.injectFault(ENROLL_PATH, Fault.Status(status = 429u, retryAfterSecs = 120u))
        val error = assertThrows<AuthCloudException.RateLimited> { client.enroll(username = "u") }
        assertEquals(120_000uL, error.retryAfterMs)
    }

    @Test
    fun `a slow answer is Timeout, and enroll is not re-sent`() {
        val impatient = clientWith(configFor(emulator).copy(requestTimeoutMs = 300u))
        emulator.injectFault(ENROLL_PATH, Fault.Delay(delayMs = 1500u))
        val error = assertThrows<AuthCloudException.Timeout> { impatient.enroll(username = "u") }
        assertEquals(300uL, error.afterMs)
        assertEquals(1, emulator.requestsTo(ENROLL_PATH).size, "enroll is not re-sent")
    }

    @Test
    fun `a wait past its deadline is WaitTimedOut`() {
        val enrolled = client.enroll(username = "u")
        val error = assertThrows<AuthCloudException.WaitTimedOut> {
            client.waitForCompletion(enrolled.enrollment.statusToken, WaitOptions(pollIntervalMs = 100u, timeoutMs = 350u))
        }
        assertTrue(error.polls >= 3u, "polls: ${error.polls}")
        assertEquals(TransactionStatus.PENDING, error.lastStatus)
    }

    @Test
    fun `a non-JSON answer is MalformedResponse`() {
        emulator.injectFault(ENROLL_PATH, Fault.Garbage)
        assertThrows<AuthCloudException.MalformedResponse> { client.enroll(username = "u") }
        emulator.injectFault(STATUS_PATH, Fault.Garbage)
        val token = client.enroll(username = "u").enrollment.statusToken
        assertThrows<AuthCloudException.MalformedResponse> { runBlocking { asyncClient.status(token) } }
    }

    @Test
    fun `a truncated answer is Network, an oversized one ResponseTooLarge`() {
        emulator.injectFault(ENROLL_PATH, Fault.Truncated)
        assertThrows<AuthCloudException.Network> { client.enroll(username = "u") }
        emulator.injectFault(ENROLL_PATH, Fault.Oversized(sizeBytes = 4uL * 1024u * 1024u))
        val error = assertThrows<AuthCloudException.ResponseTooLarge> { client.enroll(username = "u") }
        assertEquals(1024uL * 1024u, error.limitBytes)
    }

    @Test
    fun `bad configuration and input are rejected before any request`() {
        assertThrows<AuthCloudException.Configuration> { Client(ClientConfig(instance = "not a dns label")) }
        assertThrows<AuthCloudException.Configuration> { Client(ClientConfig(baseUrl = "http://example.com")) }
        assertThrows<AuthCloudException.Configuration> { AsyncClient(ClientConfig()) }
        val acme = Client(ClientConfig(instance = "acme", accessKey = Secret("k")))
        val error = assertThrows<AuthCloudException.InvalidInput> { acme.enroll(username = "has spaces") }
        assertEquals("username", error.field)
        assertThrows<AuthCloudException.InvalidInput> { client.enroll(username = "a", userId = "b") }
    }

    @Test
    fun `a Rust panic is an exception, and the process lives on`() {
        val error = assertThrows<InternalException> { emulator.simulateSdkPanic() }
        assertTrue("deliberate panic" in (error.message ?: ""), error.message)
        assertTrue(emulator.baseUrl().startsWith("http://127.0.0.1:"))
        assertEquals("after-panic", client.enroll(username = "after-panic").user.username)
    }

    @Test
    fun `every exception is an AuthCloudException with a useful message`() {
        val error: AuthCloudException = assertThrows<AuthCloudException.NotFound> {
            client.enroll(userId = "7e16ba00-92e2-4fcb-b30e-1af8fdc843aa")
        }
        assertTrue(error.message!!.isNotBlank())
        // toString() is the Rust Display sentence (uniffi's exported Display).
        assertTrue(error.toString().startsWith("404 Not Found from POST /api/v1/users/enroll"), error.toString())
        assertEquals("not_found", error.kind())
        assertFalse(error.isTransient())
    }

    @Test
    fun `no secret in any toString`() {
        val key = emulator.accessKey()
        val config = configFor(emulator)
        val enrolled = client.enroll(username = "secretive")
        emulator.approve(enrolled.enrollment.transactionId)
        val status = client.status(enrolled.enrollment.statusToken)
        val pending = client.enroll(username = "still-pending")
        val intent = client.createIntent(IntentOperation.ENROLL, username = "secretive")
        val deviceConfig = ClientConfig(baseUrl = emulator.baseUrl(), intentToken = intent)
        val device = Client(deviceConfig)
        val proxyConfig = config.copy(proxyUrl = Secret("http://user:proxy-password-42@127.0.0.1:9"))

        val errors = listOf(
            { clientWith(config.copy(accessKey = Secret(wrongKey))).enroll(username = "u") },
            { device.introspect(enrolled.enrollment.statusToken) },
            { device.enroll(username = "someone-else") },
            { client.enroll(userId = "7e16ba00-92e2-4fcb-b30e-1af8fdc843aa") },
            { runBlocking { AsyncClient(config.copy(accessKey = Secret(wrongKey))).enroll(username = "u") } },
            { client.verify(Secret("no-such-status-token-42")) },
            { client.waitForCompletion(pending.enrollment.statusToken, WaitOptions(pollIntervalMs = 100u, timeoutMs = 250u)) },
            {
                emulator.injectFault(STATUS_PATH, Fault.Status(status = 429u, retryAfterSecs = 120u))
                client.status(pending.enrollment.statusToken)
            },
            {
                emulator.injectFault(STATUS_PATH, Fault.Status(status = 503u, retryAfterSecs = null), count = 3u)
                client.status(pending.enrollment.statusToken)
            },
            {
                emulator.injectFault(STATUS_PATH, Fault.Garbage)
                client.status(pending.enrollment.statusToken)
            },
            {
                emulator.injectFault(STATUS_PATH, Fault.Json(status = 400u, bodyJson = """{"error":"bad_request","message":"nope"}"""))
                client.status(pending.enrollment.statusToken)
            },
        ).mapNotNull { call -> runCatching { call() }.exceptionOrNull() }
        assertEquals(11, errors.size, "every call failed")
        val kinds = errors.map { it::class.simpleName }.toSet()
        val expectedKinds = setOf(
            "Unauthorized", "Configuration", "NotFound", "NotVerified", "WaitTimedOut", "RateLimited", "Server",
            "MalformedResponse", "Api",
        )
        assertEquals(expectedKinds, kinds)
        assertTrue(errors.all { it is AuthCloudException }, "$errors")

        val secrets = listOf(
            key.reveal(),
            enrolled.enrollment.statusToken.reveal(),
            pending.enrollment.statusToken.reveal(),
            status.token!!.reveal(),
            intent.reveal(),
            wrongKey,
            "no-such-status-token-42",
            "proxy-password-42",
            // The deep link's dispatch token lets whoever opens it complete the registration.
            enrolled.enrollment.appLinkUri.reveal().substringAfter("dispatchTokenResponse="),
        )
        val shown: List<Any> = listOf(
            config, deviceConfig, proxyConfig, client, device, asyncClient, AsyncClient(deviceConfig),
            key, intent, status, enrolled, enrolled.enrollment, enrolled.enrollment.statusToken,
            enrolled.enrollment.qrCode, enrolled.enrollment.appLinkUri,
        ) + errors
        for (thing in shown) {
            val texts = listOfNotNull(thing.toString(), (thing as? Throwable)?.message, (thing as? Throwable)?.stackTraceToString())
            for (text in texts) for (secret in secrets) {
                assertFalse(secret in text, "${thing::class.simpleName} shows a secret: $text")
            }
        }
        assertTrue("[redacted]" in config.toString(), config.toString())
        assertTrue(client.toString().startsWith("Client(base_url=http://127.0.0.1:"), client.toString())
        assertEquals("[redacted]", key.toString())
    }
}
