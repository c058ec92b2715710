// Kotlin-only additions to the generated binding (which lives in the same package).
package dev.authcloud

import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.channels.trySendBlocking
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.callbackFlow

/**
 * The status answers of a wait as a cold [Flow]: each collection starts its own
 * [ClientInterface.watch] and emits every [StatusUpdate] in order, the final one included.
 *
 * - Completes normally after the final status (succeeded, failed, unknown...): the last
 *   element tells how it ended.
 * - Throws the [AuthCloudException] that ended the wait otherwise (e.g.
 *   [AuthCloudException.WaitTimedOut], or a non-transient error). Transient errors are
 *   retried by the SDK and not emitted.
 * - Cancelling the collector (`take(n)`, `first { }`, `withTimeout`, `job.cancel()`)
 *   cancels the watch: no status request is sent after that.
 *
 * ```
 * client.statusUpdates(enrolled.enrollment.statusToken)
 *     .collect { println("poll ${it.poll}: ${it.status.status}") }
 * ```
 */
fun ClientInterface.statusUpdates(statusToken: Secret, options: WaitOptions = WaitOptions()): Flow<StatusUpdate> =
    watchAsFlow { observer -> watch(statusToken, observer, options) }

/** See [ClientInterface.statusUpdates]. */
fun AsyncClientInterface.statusUpdates(statusToken: Secret, options: WaitOptions = WaitOptions()): Flow<StatusUpdate> =
    watchAsFlow { observer -> watch(statusToken, observer, options) }

private fun watchAsFlow(start: (WaitObserver) -> WatchHandle): Flow<StatusUpdate> = callbackFlow {
    val observer = object : WaitObserver {
        // Called on an SDK thread, one event at a time: blocking here (a slow collector)
        // delays only this observer's events, never the polling.
        override fun onStatus(update: StatusUpdate) {
            trySendBlocking(update)
        }

        override fun onTransientError(error: AuthCloudException, retryInMs: ULong) = Unit

        override fun onFinished(outcome: WaitOutcome) {
            channel.close()
        }

        override fun onFailed(error: AuthCloudException) {
            channel.close(error)
        }
    }
    val handle = start(observer)
    awaitClose {
        // The collector is done or cancelled: stop polling now, and release the handle.
        handle.cancel()
        handle.destroy()
    }
}
