// Kotlin-only additions to the generated binding (which lives in the same package).
package dev.authcloud

import kotlin.time.Duration
import kotlin.time.Duration.Companion.milliseconds

/**
 * A [WaitObserver] from lambdas; leave out the events you do not need.
 *
 * ```
 * client.waitForCompletion(token, observer = WaitObserver(onStatus = { println(it.status.status) }))
 * ```
 *
 * The lambdas run on an SDK thread (never the caller's), one at a time and in order. An
 * exception thrown from one is logged by the SDK and ignored.
 */
fun WaitObserver(
    onStatus: (update: StatusUpdate) -> Unit = {},
    onTransientError: (error: AuthCloudException, retryInMs: ULong) -> Unit = { _, _ -> },
    onFinished: (outcome: WaitOutcome) -> Unit = {},
    onFailed: (error: AuthCloudException) -> Unit = {},
): WaitObserver = object : WaitObserver {
    override fun onStatus(update: StatusUpdate) = onStatus.invoke(update)

    override fun onTransientError(error: AuthCloudException, retryInMs: ULong) = onTransientError.invoke(error, retryInMs)

    override fun onFinished(outcome: WaitOutcome) = onFinished.invoke(outcome)

    override fun onFailed(error: AuthCloudException) = onFailed.invoke(error)
}

/** The old name of [WaitObserver], kept for one release. */
@Deprecated("Renamed to WaitObserver", ReplaceWith("WaitObserver"))
typealias EnrollmentObserver = WaitObserver

/** The old name of the [WaitObserver] builder, kept for one release. */
@Deprecated("Renamed to WaitObserver", ReplaceWith("WaitObserver(onStatus, onTransientError, onFinished, onFailed)"))
fun EnrollmentObserver(
    onStatus: (update: StatusUpdate) -> Unit = {},
    onTransientError: (error: AuthCloudException, retryInMs: ULong) -> Unit = { _, _ -> },
    onFinished: (outcome: WaitOutcome) -> Unit = {},
    onFailed: (error: AuthCloudException) -> Unit = {},
): WaitObserver = WaitObserver(onStatus, onTransientError, onFinished, onFailed)

/**
 * A [LogSink] from a lambda: `setLogSink(LogSink { logger.info(it.message) }, LogLevel.INFO)`.
 * A call's records reach it on the calling thread before the call returns; records of
 * background work (watches), on the SDK's log thread. One record at a time per thread.
 */
fun LogSink(onRecord: (record: LogRecord) -> Unit): LogSink = object : LogSink {
    override fun log(record: LogRecord) = onRecord(record)
}

/** The generated record's defaults, which are the Rust core's constants. */
private val DEFAULT_WAIT_OPTIONS = WaitOptions()

/**
 * [WaitOptions] from [Duration]s: `WaitOptions(pollInterval = 2.seconds, timeout = 3.minutes)`.
 * The defaults are the guide's (every 1.5 s, for at most 5 minutes), taken from [WaitOptions].
 */
fun WaitOptions(
    pollInterval: Duration,
    timeout: Duration = DEFAULT_WAIT_OPTIONS.timeoutMs.toLong().milliseconds,
    maxPollInterval: Duration = DEFAULT_WAIT_OPTIONS.maxPollIntervalMs.toLong().milliseconds,
): WaitOptions = WaitOptions(
    pollIntervalMs = pollInterval.toMillis("pollInterval"),
    timeoutMs = timeout.toMillis("timeout"),
    maxPollIntervalMs = maxPollInterval.toMillis("maxPollInterval"),
)

private fun Duration.toMillis(name: String): ULong {
    require(!isNegative()) { "$name must not be negative: $this" }
    return inWholeMilliseconds.toULong()
}
