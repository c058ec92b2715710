// The authcloud emulator for your own XCTest suites: a fresh emulator and clients per test,
// stopped when the test ends.
//
//   final class SignUpTests: EmulatorTestCase {                 // subclass, or …
//       func testSignUp() async throws {
//           let enrolled = try await asyncClient.enroll(username: "alice")
//           try authCloud.approve(enrolled)
//           …
//       }
//   }
//
//   let authCloud = try AuthCloudEmulator.start(for: self)      // … in any XCTestCase

import AuthCloud
import Foundation
import XCTest

/// An emulator on a free loopback port, with a blocking and an async client configured
/// for it (its access key, short retry back-off). Thread-safe.
public final class AuthCloudEmulator: Sendable {
    public let emulator: Emulator
    /// The configuration of `client` and `asyncClient`.
    public let config: ClientConfig
    public let client: Client
    public let asyncClient: AsyncClient

    /// Starts an emulator; call `stop()` when done (or use `start(for:)`).
    /// - Parameters:
    ///   - options: the emulator's settings (e.g. `autoApproveAfterMs`).
    ///   - requestTimeoutMs: the clients' timeout per request.
    public init(options: EmulatorOptions = EmulatorOptions(), requestTimeoutMs: UInt64 = 5000) throws {
        let emulator = try Emulator.start(options: options)
        do {
            let config = Self.config(emulator, accessKey: emulator.accessKey(), requestTimeoutMs: requestTimeoutMs)
            self.config = config
            self.client = try Client(config: config)
            self.asyncClient = try AsyncClient(config: config)
            self.emulator = emulator
        } catch {
            emulator.stop()
            throw error
        }
    }

    /// Starts an emulator that is stopped when `testCase`'s current test ends.
    public static func start(
        for testCase: XCTestCase,
        options: EmulatorOptions = EmulatorOptions(),
        requestTimeoutMs: UInt64 = 5000
    ) throws -> AuthCloudEmulator {
        let started = try AuthCloudEmulator(options: options, requestTimeoutMs: requestTimeoutMs)
        testCase.addTeardownBlock { started.stop() }
        return started
    }

    /// `http://127.0.0.1:PORT`.
    public var baseUrl: String { emulator.baseUrl() }

    /// The access key the emulator accepts.
    public var accessKey: Secret { emulator.accessKey() }

    /// Another blocking client for this emulator: e.g. a wrong `accessKey`, or a short
    /// `requestTimeoutMs` against a `.delay` fault.
    public func makeClient(accessKey: Secret? = nil, requestTimeoutMs: UInt64? = nil) throws -> Client {
        try Client(config: clientConfig(accessKey: accessKey, requestTimeoutMs: requestTimeoutMs))
    }

    /// Another async client for this emulator; see `makeClient`.
    public func makeAsyncClient(accessKey: Secret? = nil, requestTimeoutMs: UInt64? = nil) throws -> AsyncClient {
        try AsyncClient(config: clientConfig(accessKey: accessKey, requestTimeoutMs: requestTimeoutMs))
    }

    /// `config` with another access key and/or request timeout.
    public func clientConfig(accessKey: Secret? = nil, requestTimeoutMs: UInt64? = nil) -> ClientConfig {
        Self.config(emulator, accessKey: accessKey ?? config.accessKey, requestTimeoutMs: requestTimeoutMs ?? config.requestTimeoutMs)
    }

    /// Wait options for tests: poll every `pollIntervalMs` (at least 100), give up after
    /// `timeoutMs`. (The SDK's defaults, 1.5 s and 5 min, suit people, not tests.)
    public func waitOptions(pollIntervalMs: UInt64 = 100, timeoutMs: UInt64 = 10_000) -> WaitOptions {
        WaitOptions(pollIntervalMs: pollIntervalMs, timeoutMs: timeoutMs, maxPollIntervalMs: 1000)
    }

    /// Plays the user approving the registration on the phone.
    public func approve(_ enrolled: EnrollResult) throws {
        try emulator.approve(transactionId: enrolled.enrollment.transactionId)
    }

    /// Plays the user approving after `afterMs` milliseconds, from a background queue, while
    /// your test waits. If approving fails then (the transaction is no longer pending, the
    /// emulator was stopped), nothing is approved and your wait tells you so.
    public func approve(_ enrolled: EnrollResult, afterMs: UInt64) {
        let emulator = emulator
        let transactionId = enrolled.enrollment.transactionId
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(clamping: afterMs))) {
            try? emulator.approve(transactionId: transactionId)
        }
    }

    /// Plays the user declining.
    public func deny(_ enrolled: EnrollResult) throws {
        try emulator.deny(transactionId: enrolled.enrollment.transactionId)
    }

    /// The requests the emulator received for `path` (e.g. `/api/v1/status`), oldest first.
    public func requests(to path: String) throws -> [RecordedRequest] {
        try emulator.requests().filter { $0.path == path }
    }

    /// Applies `fault` to the next `count` requests to `path`.
    public func injectFault(_ fault: Fault, at path: String, count: UInt32 = 1) throws {
        try emulator.injectFault(path: path, fault: fault, count: count)
    }

    /// Stops the emulator (idempotent).
    public func stop() {
        emulator.stop()
    }

    private static func config(_ emulator: Emulator, accessKey: Secret?, requestTimeoutMs: UInt64) -> ClientConfig {
        ClientConfig(
            baseUrl: emulator.baseUrl(),
            accessKey: accessKey,
            requestTimeoutMs: requestTimeoutMs,
            initialBackoffMs: 10,
            maxBackoffMs: 50
        )
    }
}

/// The API paths, for `requests(to:)` and `injectFault(_:at:)`.
public enum AuthCloudPath {
    public static let enroll = "/api/v1/users/enroll"
    public static let status = "/api/v1/status"
    public static let introspect = "/api/v1/introspect"
}

/// A test case with a fresh emulator, and clients for it, in every test: `emulator`,
/// `client`, `asyncClient`, and `authCloud` for the helpers (`approve`, `waitOptions`,
/// `requests(to:)`…). The emulator is stopped after each test.
///
/// Override `emulatorOptions` to change the emulator's settings. If you override
/// `setUpWithError()` or `tearDownWithError()`, call `super`.
open class EmulatorTestCase: XCTestCase {
    /// The running emulator and its clients; set in `setUpWithError()`.
    public private(set) var authCloud: AuthCloudEmulator!

    /// The emulator's settings for each test (default: `EmulatorOptions()`).
    open var emulatorOptions: EmulatorOptions { EmulatorOptions() }

    public var emulator: Emulator { authCloud.emulator }
    public var client: Client { authCloud.client }
    public var asyncClient: AsyncClient { authCloud.asyncClient }

    open override func setUpWithError() throws {
        try super.setUpWithError()
        authCloud = try AuthCloudEmulator(options: emulatorOptions)
    }

    open override func tearDownWithError() throws {
        authCloud?.stop()
        authCloud = nil
        try super.tearDownWithError()
    }
}
