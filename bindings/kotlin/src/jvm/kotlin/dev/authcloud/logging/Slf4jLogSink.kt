package dev.authcloud.logging

import dev.authcloud.LogLevel
import dev.authcloud.LogRecord
import dev.authcloud.LogSink
import dev.authcloud.clearLogSink
import dev.authcloud.setLogSink
import org.slf4j.Logger
import org.slf4j.LoggerFactory
import java.util.concurrent.ConcurrentHashMap

/**
 * Routes the SDK's log lines to SLF4J: one logger per Rust target, with `::` turned into
 * `.` (`authcloud::http` → logger `authcloud.http`, also `authcloud.wait`, `authcloud.watch`,
 * `authcloud.verify`, `authcloud.observer`), and [LogLevel] mapped to the SLF4J level of the
 * same name (ERROR, WARN, INFO, DEBUG, TRACE). The messages are the SDK's, secret-free
 * (`retrying operation=status attempt=1 delay_ms=250 error=503 Service Unavailable from …`).
 *
 * Install it once at start-up:
 *
 * ```kotlin
 * Slf4jLogSink.install()                 // Java: Slf4jLogSink.install();
 * Slf4jLogSink.install(LogLevel.INFO)    // or a fixed ceiling: the SDK formats nothing more verbose
 * ```
 *
 * By default your logging configuration decides, record by record and whenever it changes
 * (a level set at run time, an MDC-scoped filter): the SDK hands over every record and SLF4J
 * drops what is disabled. A call's records reach SLF4J on the calling thread before the call
 * returns (so MDC values and test appenders see them); records of background work (watches)
 * come from the SDK's log thread. There is one sink per process: installing replaces any
 * earlier [setLogSink]; [clearLogSink] stops it.
 *
 * Needs `org.slf4j:slf4j-api` 2.x and a backend (Logback, Log4j 2, slf4j-simple...): the
 * authcloud artifact declares slf4j-api optional, so it comes from your own dependencies.
 */
class Slf4jLogSink : LogSink {
    private val loggers = ConcurrentHashMap<String, Logger>()

    override fun log(record: LogRecord) {
        val logger = loggers.computeIfAbsent(record.target) { LoggerFactory.getLogger(loggerName(it)) }
        // The one-argument forms: a `{}` in the message is text, not a placeholder.
        when (record.level) {
            LogLevel.ERROR -> logger.error(record.message)
            LogLevel.WARN -> logger.warn(record.message)
            LogLevel.INFO -> logger.info(record.message)
            LogLevel.DEBUG -> logger.debug(record.message)
            LogLevel.TRACE -> logger.trace(record.message)
        }
    }

    override fun toString(): String = "Slf4jLogSink"

    companion object {
        /** The parent of every authcloud logger. */
        const val ROOT_LOGGER: String = "authcloud"

        /** The loggers the SDK writes to (as of this version); [install] looks at all of them. */
        @JvmField
        val LOGGERS: List<String> = listOf(ROOT_LOGGER) +
            listOf("http", "wait", "watch", "verify", "observer").map { "$ROOT_LOGGER.$it" }

        /** The SLF4J logger name for a Rust log target: `authcloud::http` → `authcloud.http`. */
        @JvmStatic
        fun loggerName(target: String): String = target.replace("::", ".")

        /**
         * Installs a [Slf4jLogSink] and returns the most verbose level the SDK produces:
         * [maxLevel] when given (a fixed ceiling, cheaper when you never want debug lines),
         * else [LogLevel.TRACE] — every record reaches SLF4J, whose levels then decide at
         * each record, including levels changed after this call.
         */
        @JvmStatic
        @JvmOverloads
        fun install(maxLevel: LogLevel? = null): LogLevel {
            val level = maxLevel ?: LogLevel.TRACE
            setLogSink(Slf4jLogSink(), level)
            return level
        }

        /** Stops routing the SDK's logs (to this or any sink): [clearLogSink]. */
        @JvmStatic
        fun uninstall() = clearLogSink()

        /** The most verbose level any of [loggers] has enabled, or `null` for none. */
        @JvmStatic
        fun enabledLevel(loggers: List<Logger>): LogLevel? = when {
            loggers.any { it.isTraceEnabled } -> LogLevel.TRACE
            loggers.any { it.isDebugEnabled } -> LogLevel.DEBUG
            loggers.any { it.isInfoEnabled } -> LogLevel.INFO
            loggers.any { it.isWarnEnabled } -> LogLevel.WARN
            loggers.any { it.isErrorEnabled } -> LogLevel.ERROR
            else -> null
        }
    }
}
