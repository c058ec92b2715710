package dev.authcloud.logging

import ch.qos.logback.classic.Level
import ch.qos.logback.classic.Logger
import ch.qos.logback.classic.spi.ILoggingEvent
import ch.qos.logback.core.read.ListAppender
import dev.authcloud.WaitObserver
import dev.authcloud.Fault
import dev.authcloud.LogLevel
import dev.authcloud.LogRecord
import dev.authcloud.Secret
import dev.authcloud.WaitOptions
import dev.authcloud.clearLogSink
import dev.authcloud.testing.AuthCloudEmulatorExtension
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.extension.RegisterExtension
import org.slf4j.LoggerFactory
import kotlin.time.Duration.Companion.milliseconds

/** The SDK's records through SLF4J into Logback, read back with a ListAppender. */
class Slf4jLogSinkTest {
    @RegisterExtension
    val cloud = AuthCloudEmulatorExtension()

    private val root = LoggerFactory.getLogger("authcloud") as Logger
    private val appender = ListAppender<ILoggingEvent>()

    @BeforeEach
    fun capture() {
        appender.start()
        root.addAppender(appender)
    }

    @AfterEach
    fun release() {
        clearLogSink()
        root.detachAppender(appender)
        root.level = null
        for (name in Slf4jLogSink.LOGGERS.drop(1)) (LoggerFactory.getLogger(name) as Logger).level = null
    }

    private fun events(): List<ILoggingEvent> = synchronized(appender) { appender.list.toList() }

    private fun awaitEvent(what: String, found: (ILoggingEvent) -> Boolean): ILoggingEvent {
        val deadline = System.nanoTime() + 5_000_000_000
        while (System.nanoTime() < deadline) {
            events().firstOrNull(found)?.let { return it }
            Thread.sleep(20)
        }
        throw AssertionError("no $what among ${events().map { "${it.level} ${it.loggerName} ${it.formattedMessage}" }}")
    }

    @Test
    fun `records arrive per target, at their level, without secrets`() {
        root.level = Level.DEBUG
        assertEquals(LogLevel.TRACE, Slf4jLogSink.install())
        val wrongKey = "wrong-key-for-the-log-0123"

        val enrolled = cloud.client.enroll(username = "logged")
        val token = enrolled.enrollment.statusToken
        cloud.emulator.injectFault("/api/v1/status", Fault.Status(status = 503u, retryAfterSecs = null))
        cloud.client.status(token)                                           // one retry: INFO
        cloud.emulator.approve(enrolled.enrollment.transactionId)
        val throwing = WaitObserver(onStatus = { throw IllegalStateException("the host's observer broke") })
        cloud.client.waitForCompletion(token, WaitOptions(pollInterval = 100.milliseconds), throwing)  // WARN
        cloud.client.verify(token)                                           // INFO
        runCatching { dev.authcloud.Client(cloud.config.copy(accessKey = Secret(wrongKey))).use { it.enroll(username = "x") } }

        val http = awaitEvent("DEBUG enroll line") { it.loggerName == "authcloud.http" && "operation=enroll" in it.formattedMessage }
        assertEquals(Level.DEBUG, http.level)
        assertTrue("status=201" in http.formattedMessage, http.formattedMessage)
        val retry = awaitEvent("INFO retry line") { "retrying" in it.formattedMessage }
        assertEquals(Level.INFO, retry.level)
        assertEquals("authcloud.http", retry.loggerName)
        val verified = awaitEvent("INFO verified line") { it.loggerName == "authcloud.verify" }
        assertEquals(Level.INFO, verified.level)
        val observer = awaitEvent("WARN observer line") { it.loggerName == "authcloud.observer" }
        assertEquals(Level.WARN, observer.level)
        assertTrue("the host's observer broke" in observer.formattedMessage, observer.formattedMessage)
        awaitEvent("the 401") { "error=401 Unauthorized" in it.formattedMessage }

        val events = events()
        assertTrue(events.all { it.loggerName.startsWith("authcloud.") }, events.map { it.loggerName }.toString())
        val secrets = listOf(cloud.emulator.accessKey().reveal(), token.reveal(), wrongKey)
        for (event in events) for (secret in secrets) {
            assertFalse(secret in event.formattedMessage, "${event.loggerName}: ${event.formattedMessage}")
        }
    }

    @Test
    fun `levels changed after install take effect, and a call's records arrive before it returns`() {
        root.level = Level.WARN
        assertEquals(LogLevel.TRACE, Slf4jLogSink.install())
        cloud.client.enroll(username = "quiet")
        assertEquals(emptyList<String>(), events().map { it.formattedMessage }, "WARN lets no DEBUG line through")

        (LoggerFactory.getLogger("authcloud.http") as Logger).level = Level.DEBUG   // changed at run time
        cloud.client.enroll(username = "chatty")
        // No waiting: the call's own records were handed to SLF4J before it returned.
        val http = events().filter { it.loggerName == "authcloud.http" && "operation=enroll" in it.formattedMessage }
        assertEquals(1, http.size, events().map { it.formattedMessage }.toString())
        assertEquals(Thread.currentThread().name, http.single().threadName, "on the calling thread")

        (LoggerFactory.getLogger("authcloud.http") as Logger).level = Level.INFO    // and back
        appender.list.clear()
        cloud.client.enroll(username = "quiet-again")
        assertEquals(emptyList<String>(), events().map { it.formattedMessage })
        assertEquals(LogLevel.ERROR, Slf4jLogSink.install(LogLevel.ERROR), "an explicit level wins")
    }

    @Test
    fun `an async call's records arrive before its suspend call returns`() {
        root.level = Level.DEBUG
        Slf4jLogSink.install()
        kotlinx.coroutines.runBlocking { cloud.asyncClient.enroll(username = "async-logged") }
        assertTrue(events().any { it.loggerName == "authcloud.http" && "operation=enroll" in it.formattedMessage }, events().toString())
    }

    @Test
    fun `every level maps to the SLF4J level of the same name, and braces stay text`() {
        root.level = Level.TRACE
        val sink = Slf4jLogSink()
        val levels = mapOf(
            LogLevel.ERROR to Level.ERROR, LogLevel.WARN to Level.WARN, LogLevel.INFO to Level.INFO,
            LogLevel.DEBUG to Level.DEBUG, LogLevel.TRACE to Level.TRACE,
        )
        for ((level, _) in levels) sink.log(LogRecord(level, "authcloud::wait", "${level.name} {} stays"))
        val events = events()
        assertEquals(levels.values.toList(), events.map { it.level })
        assertTrue(events.all { it.loggerName == "authcloud.wait" })
        assertEquals(levels.keys.map { "${it.name} {} stays" }, events.map { it.formattedMessage })
        assertEquals("authcloud.http", Slf4jLogSink.loggerName("authcloud::http"))
    }
}
