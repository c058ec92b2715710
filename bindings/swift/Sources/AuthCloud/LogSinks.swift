// Ready-made `LogSink`s: the SDK's log lines (already secret-free) to a closure, to
// standard error (or any FileHandle), or, on Apple platforms, to the unified log
// (`os.Logger`). Install one with `setLogSink(sink:maxLevel:)`; `maxLevel` there filters
// at the source, the sinks' own `maxLevel` filters again (e.g. to keep debug lines out of
// one of several destinations you fan out to from a closure).
//
// A call's records reach the sink on the thread that receives the call's result, before it
// does (in order); records of background work (watches) come from the SDK's log thread.
// So a sink may be called from several threads at once.

import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#if canImport(os)
import os
#endif

extension LogLevel {
    /// 0 for `.error` … 4 for `.trace`.
    var verbosity: Int {
        switch self {
        case .error: 0
        case .warn: 1
        case .info: 2
        case .debug: 3
        case .trace: 4
        }
    }

    /// True when a record of `level` passes a `maxLevel` of `self` (as severe or more).
    public func admits(_ level: LogLevel) -> Bool {
        level.verbosity <= verbosity
    }

    /// `ERROR`, `WARN`, `INFO`, `DEBUG` or `TRACE`.
    public var label: String {
        switch self {
        case .error: "ERROR"
        case .warn: "WARN"
        case .info: "INFO"
        case .debug: "DEBUG"
        case .trace: "TRACE"
        }
    }
}

extension LogRecord {
    /// One line of text (no newline): `DEBUG authcloud::http: response method=POST …`.
    public var line: String {
        "\(level.label) \(target): \(message)"
    }
}

/// Hands every record at `maxLevel` or more severe to a closure: bridge to swift-log, your
/// own logger, or collect them in a test.
///
/// ```swift
/// setLogSink(sink: ClosureLogSink(maxLevel: .info) { record in logger.info("\(record.line)") }, maxLevel: .debug)
/// ```
public final class ClosureLogSink: LogSink, Sendable {
    private let maxLevel: LogLevel
    private let handler: @Sendable (LogRecord) -> Void

    public init(maxLevel: LogLevel = .trace, _ handler: @escaping @Sendable (LogRecord) -> Void) {
        self.maxLevel = maxLevel
        self.handler = handler
    }

    public func log(record: LogRecord) throws {
        if maxLevel.admits(record.level) { handler(record) }
    }
}

/// Writes every record at `maxLevel` or more severe as one line (`LogRecord.line`) to a
/// file handle, standard error by default. Works on every platform, Linux included.
public final class TextLogSink: LogSink, @unchecked Sendable {
    // @unchecked: FileHandle is not declared Sendable everywhere; only its descriptor is
    // used, one `write` per line (lines are short: each arrives whole).
    private let output: FileHandle
    private let maxLevel: LogLevel

    public init(maxLevel: LogLevel = .trace, output: FileHandle = .standardError) {
        self.maxLevel = maxLevel
        self.output = output
    }

    /// A failed write throws; the SDK counts the record in `droppedLogRecords()` and
    /// carries on. (POSIX `write`: FileHandle's non-throwing `write(_:)` would crash the
    /// app on a closed descriptor, and its throwing one needs newer Apple systems.)
    public func log(record: LogRecord) throws {
        guard maxLevel.admits(record.level) else { return }
        let bytes = Array((record.line + "\n").utf8)
        let descriptor = output.fileDescriptor
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                let code = errno
                if code == EINTR { continue }
                throw CallbackError.Failed(reason: "writing a log line failed (errno \(code))")
            }
            offset += written
        }
    }
}

/// Routes the SDK's log lines at `maxLevel` and more severe to `handler` (replacing any
/// earlier sink): `setLogSink(maxLevel: .info) { print($0.line) }`.
public func setLogSink(maxLevel: LogLevel, _ handler: @escaping @Sendable (LogRecord) -> Void) {
    setLogSink(sink: ClosureLogSink(maxLevel: maxLevel, handler), maxLevel: maxLevel)
}

#if canImport(os)
/// Writes the SDK's log lines to the unified log (Console.app, `log stream`), at the
/// matching `OSLogType`: error → `.error`, warn → `.default`, info → `.info`, debug and
/// trace → `.debug`. The messages are marked `privacy: .public`: the SDK never puts a
/// key or token in them, and a private message would show as `<private>`.
///
/// Apple platforms only. Not compiled by this repository's tests (Linux).
@available(macOS 11.0, iOS 14.0, tvOS 14.0, watchOS 7.0, *)
public final class OSLogSink: LogSink, @unchecked Sendable {
    // @unchecked: os.Logger is immutable and thread-safe.
    private let logger: Logger

    /// Logs under `subsystem` (usually your app's bundle id) and `category`.
    public init(subsystem: String, category: String = "authcloud") {
        self.logger = Logger(subsystem: subsystem, category: category)
    }

    /// Logs to a `Logger` you configured.
    public init(logger: Logger) {
        self.logger = logger
    }

    public func log(record: LogRecord) throws {
        let osType: OSLogType =
            switch record.level {
            case .error: .error
            case .warn: .default
            case .info: .info
            case .debug, .trace: .debug
            }
        let target = record.target
        let message = record.message
        logger.log(level: osType, "\(target, privacy: .public): \(message, privacy: .public)")
    }
}
#endif
