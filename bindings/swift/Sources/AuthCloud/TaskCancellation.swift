// A wait that honours Swift task cancellation.
//
// uniffi 0.32's Swift bindings never cancel a Rust future: cancelling the task that awaits
// the generated `waitForCompletion(statusToken:options:observer:cancel:)` leaves the
// polling running until the operation is final or the wait's deadline passes. This wait
// bridges the task's cancellation to a `CancelToken` of its own, which stops the Rust wait
// at once.
//
// Its first argument label is `of:`, not `statusToken:`, so no call can match both it
// and the generated method (whose other parameters all have defaults).

extension AsyncClientProtocol {
    /// Polls the operation behind `statusToken` until its status is final and returns the
    /// outcome, like `waitForCompletion(statusToken:options:observer:cancel:)`, but also
    /// stops when the awaiting task is cancelled:
    ///
    /// ```swift
    /// let waiter = Task { try await client.waitForCompletion(of: enrolled.enrollment.statusToken) }
    /// waiter.cancel()   // no status request is sent after this; the task throws CancellationError
    /// ```
    ///
    /// - Throws: `CancellationError` when the task is (or already was) cancelled: the
    ///   polling has stopped, and no request is sent after the cancel (one already on the
    ///   wire may still be answered). `observer`, if any, hears `onFailed(.Cancelled)`.
    ///   Otherwise the `AuthCloudError` of the wait (`.WaitTimedOut` at the deadline, …).
    public func waitForCompletion(
        of statusToken: Secret,
        options: WaitOptions = WaitOptions(),
        observer: WaitObserver? = nil
    ) async throws -> WaitOutcome {
        try Task.checkCancellation()
        let cancel = CancelToken()
        do {
            return try await withTaskCancellationHandler {
                try await waitForCompletion(statusToken: statusToken, options: options, observer: observer, cancel: cancel)
            } onCancel: {
                cancel.cancel()
            }
        } catch AuthCloudError.Cancelled where cancel.isCancelled() {
            // Only the task's cancellation cancels this private token.
            throw CancellationError()
        }
    }
}
