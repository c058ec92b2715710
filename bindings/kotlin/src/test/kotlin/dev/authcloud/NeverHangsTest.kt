package dev.authcloud

import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.assertTimeoutPreemptively
import java.io.File
import java.time.Duration
import java.util.concurrent.TimeUnit

/** The SDK never hangs its host: re-entrant calls, cancelled coroutines, JVM exit. */
class NeverHangsTest : EmulatorTest() {
    @Test
    fun `a blocking call right after a suspend call, resumed unconfined on the SDK's thread, x100`() {
        // The continuation of `asyncClient.ping()` runs wherever the SDK resumes it; the
        // blocking call that follows must not wait for a runtime only that thread could drive.
        assertTimeoutPreemptively(Duration.ofSeconds(60)) {
            runBlocking(Dispatchers.Unconfined) {
                repeat(100) {
                    asyncClient.ping()
                    client.ping()
                }
            }
        }
    }

    @Test
    fun `a blocking wait inside an unconfined coroutine, with an async wait running beside it`() {
        assertTimeoutPreemptively(Duration.ofSeconds(60)) {
            runBlocking(Dispatchers.Unconfined) {
                val first = asyncClient.enroll(username = "unconfined-a")
                val second = asyncClient.enroll(username = "unconfined-b")
                val beside = async { asyncClient.waitForCompletion(second.enrollment.statusToken, fast()) }
                later(200) {
                    emulator.approve(first.enrollment.transactionId)
                    emulator.approve(second.enrollment.transactionId)
                }
                assertTrue(client.waitForCompletion(first.enrollment.statusToken, fast()).succeeded)
                assertTrue(beside.await().succeeded)
            }
        }
    }

    @Test
    fun `a cancelled coroutine wait tells its observer once`() {
        val recorder = Recorder()
        assertTimeoutPreemptively(Duration.ofSeconds(30)) {
            runBlocking {
                val enrolled = asyncClient.enroll(username = "cancelled-coroutine")
                val waiting = launch(Dispatchers.Default) {
                    asyncClient.waitForCompletion(enrolled.enrollment.statusToken, fast(), recorder)
                }
                delay(300)
                waiting.cancelAndJoin()
            }
            val deadline = System.nanoTime() + 10_000_000_000
            while (recorder.snapshot().none { it.startsWith("failed") } && System.nanoTime() < deadline) Thread.sleep(10)
            Thread.sleep(200) // a second end, if any, would come now
        }
        val ends = recorder.snapshot().filter { it.startsWith("failed") || it.startsWith("finished") }
        assertEquals(listOf("failed Cancelled"), ends)
    }

    @Test
    fun `a coroutine cancelled by withContext timeout still gets a typed cancellation`() {
        assertTimeoutPreemptively(Duration.ofSeconds(30)) {
            runBlocking {
                val enrolled = asyncClient.enroll(username = "timed-out-coroutine")
                assertThrows<CancellationException> {
                    kotlinx.coroutines.withTimeout(300) {
                        withContext(Dispatchers.IO) { asyncClient.waitForCompletion(enrolled.enrollment.statusToken, fast()) }
                    }
                }
            }
        }
    }

    @Test
    fun `the JVM exits promptly with watches, async calls, daemon waits and an emulator running`() {
        val java = File(System.getProperty("java.home"), "bin/java").path
        val process = ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), ExitScenario::class.java.name)
            .redirectErrorStream(true)
            .start()
        val finished = process.waitFor(30, TimeUnit.SECONDS)
        val output = process.inputStream.bufferedReader().readText().takeIf { finished }
            ?: run {
                process.destroyForcibly()
                "(killed)"
            }
        assertTrue(finished, "the JVM did not exit within 30 s: $output")
        assertEquals(0, process.exitValue(), output)
        assertTrue("leaving" in output, output)
    }
}

/** Run in a child JVM by the test above: starts work of every kind, then returns from main. */
object ExitScenario {
    @JvmStatic
    fun main(args: Array<String>) {
        val emulator = Emulator.start(EmulatorOptions(autoApproveAfterMs = 300u))
        val client = Client(configFor(emulator))
        val asyncClient = AsyncClient(configFor(emulator))
        val slow = object : Recorder() {
            override fun onStatus(update: StatusUpdate) {
                Thread.sleep(10)
                super.onStatus(update)
            }

            override fun onFinished(outcome: WaitOutcome) {
                Thread.sleep(50)
                super.onFinished(outcome)
            }
        }
        // Watches that end just as the JVM exits, with observers still being called.
        repeat(40) { i -> client.watch(client.enroll(username = "exit-$i").enrollment.statusToken, slow, fast(timeoutMs = 20_000)) }
        // A wait that never ends, on a daemon thread, and async calls in flight.
        val never = Emulator.start()
        val neverClient = Client(configFor(never))
        val token = neverClient.enroll(username = "never").enrollment.statusToken
        Thread { runCatching { neverClient.waitForCompletion(token) } }.apply { isDaemon = true }.start()
        @Suppress("OPT_IN_USAGE")
        kotlinx.coroutines.GlobalScope.launch { runCatching { AsyncClient(configFor(never)).waitForCompletion(token) } }
        Thread.sleep(250)
        println("leaving")
    }
}
