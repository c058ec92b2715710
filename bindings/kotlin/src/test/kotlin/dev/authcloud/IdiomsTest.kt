package dev.authcloud

import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.util.Collections
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds

/** The Kotlin-only layer: the Flow adapter over watch, lambda observers, Duration options. */
class IdiomsTest : EmulatorTest() {
    @Test
    fun `statusUpdates emits every poll in order and completes on the final status`() = runBlocking {
        val enrolled = asyncClient.enroll(username = "flow")
        launch {
            delay(250)
            emulator.approve(enrolled.enrollment.transactionId)
        }
        val updates = asyncClient.statusUpdates(enrolled.enrollment.statusToken, fast()).toList()
        assertTrue(updates.size >= 3, "updates: ${updates.size}")
        assertEquals((1..updates.size).map { it.toUInt() }, updates.map { it.poll })
        assertTrue(updates.dropLast(1).all { it.status.status == TransactionStatus.PENDING })
        assertEquals(TransactionStatus.SUCCEEDED, updates.last().status.status)
        assertEquals(updates.size, statusRequests())
    }

    @Test
    fun `statusUpdates of the blocking client completes with failed when the user declines`() = runBlocking {
        val enrolled = client.enroll(username = "flow-deny")
        later(150) { emulator.deny(enrolled.enrollment.transactionId) }
        val updates = client.statusUpdates(enrolled.enrollment.statusToken, fast()).toList()
        assertEquals(TransactionStatus.FAILED, updates.last().status.status)
    }

    @Test
    fun `statusUpdates throws the exception that ended the wait`() {
        val enrolled = client.enroll(username = "flow-timeout")
        val options = WaitOptions(pollInterval = 100.milliseconds, timeout = 350.milliseconds)
        val collected = Collections.synchronizedList(mutableListOf<StatusUpdate>())
        val error = assertThrows<AuthCloudException.WaitTimedOut> {
            runBlocking { client.statusUpdates(enrolled.enrollment.statusToken, options).collect { collected += it } }
        }
        assertTrue(collected.size >= 3, "collected ${collected.size} before the deadline")
        assertEquals(TransactionStatus.PENDING, error.lastStatus)
    }

    @Test
    fun `cancelling the collector cancels the watch - take(n)`() = runBlocking {
        val enrolled = asyncClient.enroll(username = "flow-take")
        val first3 = asyncClient.statusUpdates(enrolled.enrollment.statusToken, fast()).take(3).toList()
        assertEquals(listOf(1u, 2u, 3u), first3.map { it.poll })
        assertNoPollingAfter()
    }

    @Test
    fun `cancelling the collector cancels the watch - withTimeout`() {
        val enrolled = client.enroll(username = "flow-timeout-collector")
        assertThrows<kotlinx.coroutines.TimeoutCancellationException> {
            runBlocking { withTimeout(300) { client.statusUpdates(enrolled.enrollment.statusToken, fast()).collect {} } }
        }
        assertNoPollingAfter()
    }

    @Test
    fun `lambda observer and Duration options`() {
        val events = Collections.synchronizedList(mutableListOf<String>())
        val observer = WaitObserver(
            onStatus = { events += "status ${it.poll}" },
            onFinished = { events += "finished ${it.succeeded}" },
        )
        val enrolled = client.enroll(username = "lambdas")
        later(150) { emulator.approve(enrolled.enrollment.transactionId) }
        val options = WaitOptions(pollInterval = 100.milliseconds, timeout = 10.seconds)
        // The helper's other defaults are the generated record's, i.e. the core's.
        assertEquals(WaitOptions(pollIntervalMs = 100u, timeoutMs = 10_000u, maxPollIntervalMs = WaitOptions().maxPollIntervalMs), options)
        val outcome = client.waitForCompletion(enrolled.enrollment.statusToken, options, observer)
        assertEquals((1..outcome.polls.toInt()).map { "status $it" } + "finished true", events.toList())
        assertThrows<IllegalArgumentException> { WaitOptions(pollInterval = (-1).seconds) }
    }

    private fun assertNoPollingAfter() {
        Thread.sleep(100) // a request already on the wire at the cancel may still be logged
        val polls = statusRequests()
        assertTrue(polls >= 3, "polls: $polls")
        Thread.sleep(400)
        assertEquals(polls, statusRequests(), "no status request after the collector stopped")
    }
}
