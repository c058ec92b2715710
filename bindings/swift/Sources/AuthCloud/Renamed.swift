// Names kept for one release after a rename.

/// The old name of `WaitObserver`.
@available(*, deprecated, renamed: "WaitObserver")
public typealias EnrollmentObserver = WaitObserver
