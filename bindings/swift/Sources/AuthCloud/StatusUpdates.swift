// Swift-native waiting: an AsyncThrowingStream over `watch`.
//
// Swift's `Task.cancel()` does not reach a Rust future, so the stream is built on a
// `WatchHandle`: when the consuming task is cancelled (or stops iterating), the stream
// terminates and cancels the handle, and polling stops at once.

import Foundation

/// Feeds a watch's events into an `AsyncThrowingStream`.
final class StreamObserver: EnrollmentObserver, @unchecked Sendable {
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

extension ClientProtocol {
    /// Every status answer until the final one (then the stream ends). A failure (deadline,
    /// network...) ends it with the `AuthCloudError`. Cancelling the iterating task stops
    /// the polling.
    public func statusUpdates(statusToken: Secret, options: WaitOptions = WaitOptions())
        -> AsyncThrowingStream<StatusUpdate, Error>
    {
        AsyncThrowingStream { continuation in
            let handle = self.watch(statusToken: statusToken, observer: StreamObserver(continuation), options: options)
            continuation.onTermination = { _ in handle.cancel() }
        }
    }
}

extension AsyncClientProtocol {
    /// See `ClientProtocol.statusUpdates`.
    public func statusUpdates(statusToken: Secret, options: WaitOptions = WaitOptions())
        -> AsyncThrowingStream<StatusUpdate, Error>
    {
        AsyncThrowingStream { continuation in
            let handle = self.watch(statusToken: statusToken, observer: StreamObserver(continuation), options: options)
            continuation.onTermination = { _ in handle.cancel() }
        }
    }
}
