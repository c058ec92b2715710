package dev.authcloud

import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.BeforeEach
import java.io.ByteArrayInputStream
import java.util.Collections
import javax.imageio.ImageIO

const val STATUS_PATH = "/api/v1/status"
const val ENROLL_PATH = "/api/v1/users/enroll"

/**
 * Under instruction-set emulation (scripts/linux-aarch64.sh runs this suite on an arm64 JVM
 * under qemu-aarch64 with -Dauthcloud.underEmulation) code runs several times slower: load
 * tests multiply their wall-clock budgets by this and still assert every outcome.
 */
val SLOWDOWN: Int = if (System.getProperty("authcloud.underEmulation") != null) 10 else 1

/** A config for the emulator with fast retries: tests should not sleep for seconds. */
fun configFor(emulator: Emulator) = ClientConfig(
    baseUrl = emulator.baseUrl(),
    accessKey = emulator.accessKey(),
    initialBackoffMs = 10u,
    maxBackoffMs = 50u,
    requestTimeoutMs = 2000u,
)

fun fast(pollMs: Int = 100, timeoutMs: Int = 10_000) =
    WaitOptions(pollIntervalMs = pollMs.toULong(), timeoutMs = timeoutMs.toULong())

fun Emulator.requestsTo(path: String) = requests().filter { it.path == path }

/** One of the guide's literal example bodies (tests/fixtures/guide), verbatim. */
fun guideBody(name: String): String =
    java.io.File("../../tests/fixtures/guide/$name.json").readText()

/** Decodes PNG bytes with javax.imageio: (width, height). */
fun decodePng(png: ByteArray): Pair<Int, Int> {
    val image = ImageIO.read(ByteArrayInputStream(png)) ?: error("not a PNG ImageIO can read")
    return image.width to image.height
}

/** Runs [action] on another thread after [delayMs] (the user acting on the phone). */
fun later(delayMs: Long, action: () -> Unit): Thread =
    Thread {
        Thread.sleep(delayMs)
        action()
    }.apply {
        isDaemon = true
        start()
    }

/** An observer recording every callback, in order, as short strings. */
open class Recorder : WaitObserver {
    val events: MutableList<String> = Collections.synchronizedList(mutableListOf())
    val threads: MutableSet<Thread> = Collections.synchronizedSet(mutableSetOf())

    override fun onStatus(update: StatusUpdate) {
        threads += Thread.currentThread()
        events += "status ${update.poll} ${update.status.status}"
    }

    override fun onTransientError(error: AuthCloudException, retryInMs: ULong) {
        threads += Thread.currentThread()
        events += "transient ${error::class.simpleName}"
    }

    override fun onFinished(outcome: WaitOutcome) {
        threads += Thread.currentThread()
        events += "finished ${outcome.succeeded}"
    }

    override fun onFailed(error: AuthCloudException) {
        threads += Thread.currentThread()
        events += "failed ${error::class.simpleName}"
    }

    fun snapshot(): List<String> = synchronized(events) { events.toList() }
}

/** One emulator per test, stopped afterwards, and clients aimed at it. */
abstract class EmulatorTest {
    lateinit var emulator: Emulator
    lateinit var client: Client
    lateinit var asyncClient: AsyncClient

    @BeforeEach
    fun startEmulator() {
        emulator = Emulator.start()
        client = Client(configFor(emulator))
        asyncClient = AsyncClient(configFor(emulator))
    }

    @AfterEach
    fun stopEmulator() {
        asyncClient.close()
        client.close()
        emulator.stop()
        emulator.close()
    }

    fun statusRequests() = emulator.requestsTo(STATUS_PATH).size
}
