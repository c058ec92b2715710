// How an application tests its own sign-up code against the emulator in the jar: the
// JUnit 5 extension starts one emulator for the class, resets it before each test and
// hands out clients bound to it. Nothing else is set up by hand.
package dev.authcloud.example

import dev.authcloud.AuthCloudException
import dev.authcloud.Client
import dev.authcloud.Fault
import dev.authcloud.Secret
import dev.authcloud.WaitOptions
import dev.authcloud.testing.AuthCloudEmulatorExtension
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.extension.RegisterExtension
import kotlin.time.Duration.Companion.milliseconds

/** The application code under test: enrolls, waits for the phone, verifies. */
class SignUp(private val client: Client, private val pollInterval: kotlin.time.Duration = 1500.milliseconds) {
    fun start(username: String) = client.enroll(username = username)

    fun finish(statusToken: Secret, userId: String, transactionId: String): String {
        client.waitForCompletion(statusToken, WaitOptions(pollInterval = pollInterval))
        return client.verify(statusToken, expectedUserId = userId, expectedTransactionId = transactionId).userId
    }
}

class SignUpTest {
    @RegisterExtension
    val cloud = AuthCloudEmulatorExtension()

    @Test
    fun `a user who approves on the phone is signed up`() {
        val signUp = SignUp(cloud.client, pollInterval = 100.milliseconds)
        val enrolled = signUp.start("u12345")
        cloud.emulator.approve(enrolled.enrollment.transactionId)       // the user, on the phone
        val userId = signUp.finish(enrolled.enrollment.statusToken, enrolled.user.userId, enrolled.enrollment.transactionId)
        assertEquals(enrolled.user.userId, userId)
    }

    @Test
    fun `a user who denies is not`() {
        val signUp = SignUp(cloud.client, pollInterval = 100.milliseconds)
        val enrolled = signUp.start("u-denies")
        cloud.emulator.deny(enrolled.enrollment.transactionId)
        val error = assertThrows<AuthCloudException.NotVerified> {
            signUp.finish(enrolled.enrollment.statusToken, enrolled.user.userId, enrolled.enrollment.transactionId)
        }
        assertEquals("not_verified", error.kind())
        assertTrue(error.message.startsWith("not verified (status_succeeded): "), error.message)
    }

    @Test
    fun `a flaky service is retried, a wrong key explained`() {
        cloud.emulator.injectFault("/api/v1/users/enroll", Fault.Status(status = 503u, retryAfterSecs = null))
        assertEquals("u-retried", SignUp(cloud.client).start("u-retried").user.username)

        val wrongKey = "not-the-emulator-key"
        val error = assertThrows<AuthCloudException.Unauthorized> {
            Client(cloud.config.copy(accessKey = Secret(wrongKey))).use { SignUp(it).start("u") }
        }
        assertTrue(error.message.startsWith("401 Unauthorized from POST /api/v1/users/enroll"), error.message)
        assertTrue("check AUTHCLOUD_ACCESS_KEY" in error.message)
        assertFalse(error.isTransient())
        assertFalse(wrongKey in error.stackTraceToString())
    }
}
