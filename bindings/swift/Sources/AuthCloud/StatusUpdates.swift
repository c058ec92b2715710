// Swift-native waiting: an AsyncThrowingStream over `watch`.
//
// Swift's `Task.cancel()` does not reach a Rust future, so the stream is built on a
// `WatchHandle`: when the consuming task is cancelled (or stops iterating), the stream
// terminates and cancels the handle, and polling stops at once.

import Foundation

/// Feeds a watch's events into an `AsyncThrowingStream`.
final class StreamObserver: WaitObserver, @unchecked Sendable {
    private let continuation: AsyncThrowingStream<StatusUpdate, Error>.Continuation

    init(_ continuation: AsyncThrowingStream<StatusUpdate, Error>.Continuation) {
        self.continuation = continuation
    }

    func onStatus(update: StatusUpdate) throws {
        continuation.yield(update)
    }

    func onTransientError(error: AuthCloudError, retryInMs: UInt64) throws {}

    func onFinished(outcome: WaitOutcome) throws {
        continuation.finish()
    }

    func onFailed(error: AuthCloudError) throws {
        continuation.finish(throwing: error)
    }
}

/// A stream fed by the watch that `start` begins; ending the stream cancels the watch.
/// Options the watch refuses end the stream at once with that error.
func statusStream(_ start: (WaitObserver) throws -> WatchHandle) -> AsyncThrowingStream<StatusUpdate, Error> {
    AsyncThrowingStream { continuation in
        do {
            let handle = try start(StreamObserver(continuation))
            continuation.onTermination = { _ in handle.cancel() }
        } catch {
            continuation.finish(throwing: error)
        }
    }
}

extension ClientProtocol {
    /// Every status answer until the final one (then the stream ends). A failure (deadline,
    /// network...) ends it with the `AuthCloudError`. Cancelling the iterating task stops
    /// the polling.
    public func statusUpdates(statusToken: Secret, options: WaitOptions = WaitOptions())
        -> AsyncThrowingStream<StatusUpdate, Error>
    {
        statusStream { try watch(statusToken: statusToken, observer: $0, options: options) }
    }
}

extension AsyncClientProtocol {
    /// See `ClientProtocol.statusUpdates`.
    public func statusUpdates(statusToken: Secret, options: WaitOptions = WaitOptions())
        -> AsyncThrowingStream<StatusUpdate, Error>
    {
        statusStream { try watch(statusToken: statusToken, observer: $0, options: options) }
    }
}
