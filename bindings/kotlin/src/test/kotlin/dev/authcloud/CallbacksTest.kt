package dev.authcloud

import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.TimeoutCancellationException
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.util.concurrent.ConcurrentLinkedQueue
import java.util.concurrent.atomic.AtomicReference

/** Observers, log sinks and cancellation: Kotlin callbacks cannot break the SDK. */
class CallbacksTest : EmulatorTest() {
    @Test
    fun `the observer hears every update in order, on an SDK thread`() {
        val enrolled = client.enroll(username = "observed")
        later(250) { emulator.approve(enrolled.enrollment.transactionId) }
        val recorder = Recorder()
        val outcome = client.waitForCompletion(enrolled.enrollment.statusToken, fast(), recorder)

        val events = recorder.snapshot()
        val statuses = events.filter { it.startsWith("status") }
        assertTrue(outcome.polls >= 3u, "polls: ${outcome.polls}")
        val expected = (1..outcome.polls.toInt()).map { poll ->
            "status $poll " + if (poll.toUInt() == outcome.polls) "SUCCEEDED" else "PENDING"
        }
        assertEquals(expected, statuses)
        assertEquals(expected + "finished true", events)
        assertFalse(Thread.currentThread() in recorder.threads, "callbacks never run on the caller's thread")
    }

    @Test
    fun `transient errors reach the observer, and the wait goes on`() {
        val enrolled = client.enroll(username = "flaky")
        emulator.injectFault(STATUS_PATH, Fault.Status(status = 503u, retryAfterSecs = null))
        emulator.approve(enrolled.enrollment.transactionId)
        val recorder = Recorder()
        val outcome = client.waitForCompletion(enrolled.enrollment.statusToken, fast(), recorder)
        assertTrue(outcome.succeeded)
        // The failed attempt counts as poll 1.
        assertEquals(2u, outcome.polls)
        assertEquals(listOf("transient Server", "status 2 SUCCEEDED", "finished true"), recorder.snapshot())
    }

    /** Throws from every callback after recording it. */
    class Exploding(private val throwable: () -> Throwable) : Recorder() {
        override fun onStatus(update: StatusUpdate) {
            super.onStatus(update)
            throw throwable()
        }

        override fun onFinished(outcome: WaitOutcome) {
            super.onFinished(outcome)
            throw throwable()
        }
    }

    @Test
    fun `an exception thrown in a Kotlin callback does not break the wait or the SDK`() {
        for (throwable in listOf<() -> Throwable>({ IllegalStateException("host bug") }, { AssertionError("host Error") })) {
            val enrolled = client.enroll(username = "exploding")
            later(200) { emulator.approve(enrolled.enrollment.transactionId) }
            val observer = Exploding(throwable)
            val outcome = client.waitForCompletion(enrolled.enrollment.statusToken, fast(), observer)
            assertTrue(outcome.succeeded)
            val events = observer.snapshot()
            assertEquals("finished true", events.last())
            assertEquals(outcome.polls.toInt(), events.count { it.startsWith("status") })
            // The SDK still works afterwards.
            assertEquals(TransactionStatus.SUCCEEDED, client.status(enrolled.enrollment.statusToken).status)
        }
    }

    @Test
    fun `a slow callback does not delay polling`() {
        val enrolled = client.enroll(username = "slow")
        later(500) { emulator.approve(enrolled.enrollment.transactionId) }
        val slow = object : Recorder() {
            override fun onStatus(update: StatusUpdate) {
                Thread.sleep(300)
                super.onStatus(update)
            }
        }
        val outcome = client.waitForCompletion(enrolled.enrollment.statusToken, fast(pollMs = 100), slow)
        assertTrue(outcome.succeeded)
        // Polls kept their 100 ms schedule although each callback took 300 ms...
        val times = emulator.requestsTo(STATUS_PATH).map { it.atMs }
        val gaps = times.zipWithNext { a, b -> b - a }
        assertTrue(gaps.isNotEmpty() && gaps.max() < 200, "gaps: $gaps")
        // ...and still every update arrived, in order, before the wait returned.
        val polls = slow.snapshot().filter { it.startsWith("status") }.map { it.split(" ")[1].toInt() }
        assertEquals((1..outcome.polls.toInt()).toList(), polls)
    }

    @Test
    fun `the log sink receives secret-free lines`() {
        val records = ConcurrentLinkedQueue<LogRecord>()
        setLogSink(LogSink { records += it }, LogLevel.DEBUG)
        val enrolled = try {
            val enrolled = client.enroll(username = "logged")
            client.status(enrolled.enrollment.statusToken)
            val deadline = System.nanoTime() + 5_000_000_000
            while (System.nanoTime() < deadline && records.none { it.target == "authcloud::http" }) Thread.sleep(20)
            enrolled
        } finally {
            clearLogSink()
        }
        val http = records.filter { it.target == "authcloud::http" }
        assertTrue(http.isNotEmpty(), "targets: ${records.map { it.target }}")
        assertTrue(http.any { "operation=enroll" in it.message && "status=201" in it.message }, "$http")
        assertTrue(http.all { it.level in setOf(LogLevel.DEBUG, LogLevel.INFO, LogLevel.WARN) })
        val secrets = listOf(emulator.accessKey().reveal(), enrolled.enrollment.statusToken.reveal())
        for (record in records) for (secret in secrets) assertFalse(secret in record.message, record.message)

        // Cleared: no more lines.
        Thread.sleep(100)
        val seen = records.size
        client.enroll(username = "not-logged")
        Thread.sleep(200)
        assertEquals(seen, records.size)
    }

    @Test
    fun `a throwing log sink does not break the SDK`() {
        val before = droppedLogRecords()
        setLogSink(LogSink { throw IllegalStateException("host logging is broken") }, LogLevel.TRACE)
        try {
            repeat(3) { client.enroll(username = "noisy-$it") }
            Thread.sleep(200)
        } finally {
            clearLogSink()
        }
        assertTrue(droppedLogRecords() > before)
        assertEquals("noisy-ok", client.enroll(username = "noisy-ok").user.username)
    }

    @Test
    fun `cancelling the coroutine stops polling`() {
        val enrolled = runBlocking { asyncClient.enroll(username = "cancel-me") }
        val failure = AtomicReference<Throwable>()
        runBlocking {
            val job = launch {
                try {
                    asyncClient.waitForCompletion(enrolled.enrollment.statusToken, fast())
                } catch (e: Throwable) {
                    failure.set(e)
                    throw e
                }
            }
            delay(300)
            assertTrue(job.isActive, "still waiting")
            job.cancelAndJoin()
            assertTrue(job.isCancelled)
        }
        assertTrue(failure.get() is CancellationException, "${failure.get()}")
        assertNoPollingAfterCancel()
    }

    @Test
    fun `withTimeout around waitForCompletion stops polling`() {
        val enrolled = client.enroll(username = "timeout-me")
        assertThrows<TimeoutCancellationException> {
            runBlocking { withTimeout(300) { asyncClient.waitForCompletion(enrolled.enrollment.statusToken, fast()) } }
        }
        assertNoPollingAfterCancel()
    }

    @Test
    fun `WatchHandle cancel stops polling and the observer hears Cancelled`() {
        val enrolled = client.enroll(username = "watched")
        val recorder = Recorder()
        client.watch(enrolled.enrollment.statusToken, recorder, fast()).use { handle ->
            Thread.sleep(300)
            assertFalse(handle.isFinished())
            handle.cancel()
            assertTrue(handle.join(2000u))
            assertTrue(handle.isFinished())
        }
        assertNoPollingAfterCancel()
        assertEquals("failed Cancelled", recorder.snapshot().last())
    }

    @Test
    fun `watch reports completion`() {
        val enrolled = client.enroll(username = "watch-ok")
        val recorder = Recorder()
        asyncClient.watch(enrolled.enrollment.statusToken, recorder, fast()).use { handle ->
            emulator.approve(enrolled.enrollment.transactionId)
            assertTrue(handle.join(5000u))
        }
        assertEquals("finished true", recorder.snapshot().last())
    }

    @Test
    fun `a closed or garbage-collected WatchHandle does not cancel the watch`() {
        // The watch belongs to its observer: releasing the handle - explicitly, or by the
        // garbage collector whenever it runs - never stops it silently.
        val closed = client.enroll(username = "closed")
        val closedRecorder = Recorder()
        client.watch(closed.enrollment.statusToken, closedRecorder, fast()).close()
        val collected = client.enroll(username = "collected")
        val collectedRecorder = Recorder()
        startWatchAndForgetTheHandle(collected.enrollment.statusToken, collectedRecorder)
        repeat(5) {
            System.gc()
            System.runFinalization()
            Thread.sleep(40)
        }
        val polls = statusRequests()
        Thread.sleep(300)
        assertTrue(statusRequests() > polls, "still polling")
        emulator.approve(closed.enrollment.transactionId)
        emulator.approve(collected.enrollment.transactionId)
        val deadline = System.nanoTime() + 5_000_000_000
        while (System.nanoTime() < deadline &&
            (closedRecorder.snapshot().lastOrNull() != "finished true" || collectedRecorder.snapshot().lastOrNull() != "finished true")
        ) {
            Thread.sleep(20)
        }
        assertEquals("finished true", closedRecorder.snapshot().last())
        assertEquals("finished true", collectedRecorder.snapshot().last())
    }

    private fun startWatchAndForgetTheHandle(token: Secret, observer: WaitObserver) {
        client.watch(token, observer, fast())
    }

    /** At least 3 polls happened, and none arrives during 400 ms (8 poll intervals) after the cancel. */
    private fun assertNoPollingAfterCancel() {
        Thread.sleep(100) // a request already on the wire at the cancel may still be logged
        val polls = statusRequests()
        assertTrue(polls >= 3, "polls before cancel: $polls")
        Thread.sleep(400)
        assertEquals(polls, statusRequests(), "no status request after cancel")
    }
}
