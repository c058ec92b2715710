package dev.authcloud

import dev.authcloud.testing.AuthCloudEmulatorExtension
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.extension.RegisterExtension

/**
 * Every error kind, produced by a real call wherever the SDK can be made to produce it,
 * reads as the Rust sentence: `e.message` (patched by patch-bindings.sh; uniffi writes a
 * field dump) is `e.toString()`, `kind()` is the stable name, `isTransient()` holds exactly
 * for network, timeout, rate_limited and server, and no secret shows anywhere.
 */
class ErrorSentencesTest {
    @RegisterExtension
    val cloud = AuthCloudEmulatorExtension()

    private val wrongKey = "wrong-key-0123456789-abcdef"
    private val unknownUser = "7e16ba00-92e2-4fcb-b30e-1af8fdc843aa"

    private class Case(val kind: String, val sentence: String, val error: AuthCloudException, val contains: List<String>)

    private val cases = mutableListOf<Case>()
    private val secrets = mutableListOf<String>()

    private inline fun <reified E : AuthCloudException> expect(
        kind: String,
        sentence: String,
        vararg contains: String,
        noinline call: () -> Unit,
    ): E {
        val error = assertThrows<E>(kind) { call() }
        cases += Case(kind, sentence, error, contains.toList())
        return error
    }

    @Test
    fun `every error kind reads as a sentence`() {
        val emulator = cloud.emulator
        val client = cloud.client
        val pending = client.enroll(username = "pending-user")
        val token = pending.enrollment.statusToken
        secrets += listOf(emulator.accessKey().reveal(), token.reveal(), wrongKey)

        expect<AuthCloudException.Configuration>(
            "configuration", "invalid client configuration: ",
        ) { Client(ClientConfig(instance = "Not A Label")) }

        expect<AuthCloudException.InvalidInput>(
            "invalid_input", "invalid username: ", "(nothing was sent)",
        ) { client.enroll(username = "has spaces") }

        expect<AuthCloudException.Network>(
            "network", "network error on POST /api/v1/users/enroll: ", "check the network, the base URL and any proxy",
        ) {
            Client(ClientConfig(baseUrl = "http://127.0.0.1:9", accessKey = Secret(wrongKey), maxAttempts = 1u))
                .use { it.enroll(username = "u") }
        }

        // TLS to a plain-HTTP port: rustls gets an HTTP answer to its ClientHello.
        expect<AuthCloudException.Tls>(
            "tls", "TLS handshake for POST /api/v1/users/enroll failed: ", "is the server's certificate trusted here?",
        ) {
            val https = emulator.baseUrl().replace("http://", "https://")
            Client(cloud.config.copy(baseUrl = https)).use { it.enroll(username = "u") }
        }

        expect<AuthCloudException.Timeout>(
            "timeout", "POST /api/v1/users/enroll timed out after 300ms — ",
        ) {
            emulator.injectFault(ENROLL_PATH, Fault.Delay(delayMs = 1500u))
            Client(cloud.config.copy(requestTimeoutMs = 300u)).use { it.enroll(username = "u") }
        }

        expect<AuthCloudException.Unauthorized>(
            "unauthorized", "401 Unauthorized from POST /api/v1/users/enroll", "check AUTHCLOUD_ACCESS_KEY",
        ) { Client(cloud.config.copy(accessKey = Secret(wrongKey))).use { it.enroll(username = "u") } }

        expect<AuthCloudException.NotFound>(
            "not_found", "404 Not Found from POST /api/v1/users/enroll", "no such user or resource on this instance",
        ) { client.enroll(userId = unknownUser) }

        expect<AuthCloudException.RateLimited>(
            "rate_limited", "429 Too Many Requests from POST /api/v1/users/enroll", "slow down: retry after 2m 0s",
        ) {
            emulator.injectFault(ENROLL_PATH, Fault.Status(status = 429u, retryAfterSecs = 120u))
            client.enroll(username = "u")
        }

        expect<AuthCloudException.Server>(
            "server", "503 Service Unavailable from POST /api/v1/status", "the service has a problem; retry later",
        ) {
            emulator.injectFault(STATUS_PATH, Fault.Status(status = 503u, retryAfterSecs = null), count = 3u)
            client.status(token)
        }

        expect<AuthCloudException.Api>(
            "api", "400 Bad Request from POST /api/v1/status: nope — the request was refused as invalid",
        ) {
            emulator.injectFault(STATUS_PATH, Fault.Json(status = 400u, bodyJson = """{"error":"bad_request","message":"nope"}"""))
            client.status(token)
        }

        expect<AuthCloudException.MalformedResponse>(
            "malformed_response", "unexpected answer from POST /api/v1/users/enroll: ", "(not the documented format)",
        ) {
            emulator.injectFault(ENROLL_PATH, Fault.Garbage)
            client.enroll(username = "u")
        }

        expect<AuthCloudException.ResponseTooLarge>(
            "response_too_large",
            "the answer of POST /api/v1/users/enroll is larger than the 1048576-byte limit (max_response_bytes)",
        ) {
            emulator.injectFault(ENROLL_PATH, Fault.Oversized(sizeBytes = 4uL * 1024u * 1024u))
            client.enroll(username = "u")
        }

        expect<AuthCloudException.WaitTimedOut>(
            "wait_timed_out", "gave up waiting after ", "(last status: pending) — the user did not act in time",
        ) { client.waitForCompletion(token, WaitOptions(pollIntervalMs = 100u, timeoutMs = 350u)) }

        expect<AuthCloudException.Cancelled>(
            "cancelled", "cancelled by the caller (no request was sent after the cancel)",
        ) {
            val cancel = CancelToken().apply { cancel() }
            client.waitForCompletion(token, WaitOptions(pollIntervalMs = 100u), cancel = cancel)
        }

        expect<AuthCloudException.NotVerified>(
            "not_verified", "not verified (status_succeeded): ", "do not trust this operation",
        ) { client.verify(token) }

        // Not producible by a call: it stands for a bug in authcloud (an unknown core error,
        // or a foreign callback failing unexpectedly). Its sentence still comes from Rust.
        cases += Case(
            "internal", "internal error in authcloud: lost track of a wait (please report it)",
            AuthCloudException.Internal("lost track of a wait"), emptyList(),
        )

        // The suspending API throws the same exceptions.
        expect<AuthCloudException.Unauthorized>(
            "unauthorized", "401 Unauthorized from POST /api/v1/users/enroll",
        ) { runBlocking { AsyncClient(cloud.config.copy(accessKey = Secret(wrongKey))).use { it.enroll(username = "u") } } }

        val transient = setOf("network", "timeout", "rate_limited", "server")
        // Every kind the library lists (core's table, and `internal`).
        assertEquals(errorKinds().toSet(), cases.map { it.kind }.toSet(), "every kind is covered")

        for (case in cases) {
            val error = case.error
            val message = error.message
            val shown = "${case.kind}: $message"
            assertTrue(message!!.startsWith(case.sentence), "expected «${case.sentence}…», got «$message»")
            for (part in case.contains) assertTrue(part in message, "«$part» missing in $shown")
            assertEquals(error.toString(), message, "message is toString() for ${case.kind}")
            assertEquals(error.describe(), message)
            assertEquals(message, error.localizedMessage)
            assertEquals(case.kind, error.kind())
            assertEquals(case.kind in transient, error.isTransient(), "isTransient() of ${case.kind}")
            // Not uniffi's field dump ("endpoint=…, httpStatus=…").
            assertFalse(Regex("""^\w+=""").containsMatchIn(message), shown)
            val trace = error.stackTraceToString()
            assertTrue(trace.startsWith(message), "a stack trace starts with the sentence: $trace")
            for (text in listOf(message, error.toString(), trace)) for (secret in secrets) {
                assertFalse(secret in text, "${case.kind} shows a secret: $text")
            }
        }
    }

    @Test
    fun `the message is the sentence wherever Kotlin shows an exception`() {
        val error = assertThrows<AuthCloudException.NotFound> { cloud.client.enroll(userId = unknownUser) }
        val sentence = error.toString()
        assertTrue(sentence.startsWith("404 Not Found from POST /api/v1/users/enroll"), sentence)
        // runCatching / Result, string templates, and a wrapping exception's cause.
        assertEquals(sentence, runCatching { throw error }.exceptionOrNull()!!.message)
        val wrapped = IllegalStateException("sign-up failed", error)
        assertTrue("Caused by: $sentence" in wrapped.stackTraceToString(), wrapped.stackTraceToString())
        // The fields are still there for code that branches on them.
        assertEquals("POST /api/v1/users/enroll", error.endpoint)
    }
}
