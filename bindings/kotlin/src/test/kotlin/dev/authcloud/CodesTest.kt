package dev.authcloud

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** SMS codes and recovery codes from Kotlin, blocking and suspending, against the emulator. */
class CodesTest : EmulatorTest() {
    @Test
    fun `register a phone by SMS, check a wrong and the right code, verify`() {
        val enrolled = client.enrollSms("+41791234567", username = "kt-sms", message = "Acme: {{CODE}}")
        val sms = emulator.smsMessagesTo(enrolled.user.userId).single()
        assertEquals("+41791234567", sms.to)
        assertEquals("Acme: ${sms.code}", sms.text)
        assertFalse(enrolled.statusToken.reveal() in enrolled.toString(), "the token prints redacted")
        val wrong = if (sms.code == "000000") "111111" else "000000"
        assertEquals(
            CodeVerdict.INCORRECT,
            client.verifyCode(enrolled.user.userId, CodeCheck.Sms(enrolled.statusToken, Secret(wrong))),
        )
        assertEquals(
            CodeVerdict.CORRECT,
            client.verifyCode(enrolled.user.userId, CodeCheck.Sms(enrolled.statusToken, Secret(sms.code))),
        )
        assertTrue(client.waitForCompletion(enrolled.statusToken, fast()).succeeded)
        val verified = client.verify(enrolled.statusToken, expectedTransactionId = enrolled.transactionId)
        assertEquals(enrolled.user.userId, verified.userId)
    }

    @Test
    fun `a recovery code works once, and the codes print redacted`() = runBlocking {
        val user = asyncClient.enroll(username = "kt-recovery").user
        val issued = asyncClient.requestRecoveryCodes(userId = user.userId)
        assertEquals(10, issued.codes.size)
        val first = issued.codes.first().reveal()
        assertTrue(first.length == 16 && first.all { it.isLetterOrDigit() })
        assertFalse(first in issued.toString())
        val once = CodeCheck.Recovery(issued.codes.first())
        assertEquals(CodeVerdict.CORRECT, asyncClient.verifyCode(user.userId, once))
        assertEquals(CodeVerdict.INCORRECT, asyncClient.verifyCode(user.userId, once))
    }

    @Test
    fun `bad input is refused before anything is sent`() {
        val error = assertThrows<AuthCloudException.InvalidInput> { client.enrollSms("41791234567", username = "x") }
        assertEquals("phone", error.field)
        val noPlaceholder = assertThrows<AuthCloudException.InvalidInput> {
            client.enrollSms("+41791234567", username = "x", message = "no placeholder")
        }
        assertEquals("message", noPlaceholder.field)
        val userId = "7e16ba00-92e2-4fcb-b30e-1af8fdc843aa"
        val short = assertThrows<AuthCloudException.InvalidInput> {
            client.verifyCode(userId, CodeCheck.Recovery(Secret("Ab3dEf6hIj9kLm0")))
        }
        assertEquals("code", short.field)
        assertFalse("Ab3dEf6hIj9kLm0" in short.message)
        assertTrue(emulator.requestsTo("/api/v1/users/enroll").isEmpty())
        assertTrue(emulator.requestsTo("/api/v1/users/$userId/verification").isEmpty())
    }
}
