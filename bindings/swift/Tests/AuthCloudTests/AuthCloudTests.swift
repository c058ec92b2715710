// The guide's flow from Swift, against the emulator started from Swift, plus callbacks,
// cancel, typed errors and redaction.

import Foundation
import XCTest

@testable import AuthCloud

let statusPath = "/api/v1/status"
let enrollPath = "/api/v1/users/enroll"

func fastWait(pollMs: UInt64 = 100, timeoutMs: UInt64 = 10_000) -> WaitOptions {
    WaitOptions(pollIntervalMs: pollMs, timeoutMs: timeoutMs, maxPollIntervalMs: 1000)
}

func config(_ emulator: Emulator, requestTimeoutMs: UInt64 = 2000, accessKey: Secret? = nil) -> ClientConfig {
    ClientConfig(
        baseUrl: emulator.baseUrl(),
        accessKey: accessKey ?? emulator.accessKey(),
        requestTimeoutMs: requestTimeoutMs,
        initialBackoffMs: 10,
        maxBackoffMs: 50
    )
}

func statusRequests(_ emulator: Emulator) throws -> Int {
    try emulator.requests().filter { $0.path == statusPath }.count
}

/// Reads a PNG far enough to prove it is one: every chunk's CRC, and the size from IHDR.
func pngSize(_ data: Data) throws -> (width: UInt32, height: UInt32) {
    let bytes = [UInt8](data)
    XCTAssertEqual(Array(bytes.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    func be32(_ at: Int) -> UInt32 {
        bytes[at..<at + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }
    var pos = 8
    var size: (UInt32, UInt32)?
    var sawEnd = false
    while pos + 12 <= bytes.count {
        let length = Int(be32(pos))
        let kindAndBody = Array(bytes[pos + 4..<pos + 8 + length])
        XCTAssertEqual(crc32(kindAndBody), be32(pos + 8 + length), "chunk CRC")
        let kind = String(decoding: kindAndBody.prefix(4), as: UTF8.self)
        if kind == "IHDR" { size = (be32(pos + 8), be32(pos + 12)) }
        if kind == "IEND" { sawEnd = true }
        pos += 12 + length
    }
    XCTAssertTrue(sawEnd, "IEND chunk")
    guard let (width, height) = size else { throw NSError(domain: "png", code: 1) }
    return (width, height)
}

func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
    }
    return ~crc
}

/// Records every callback in order (callbacks arrive on a Rust background thread).
final class Recorder: WaitObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var _events: [String] = []
    var throwOnStatus = false

    var events: [String] { lock.withLock { _events } }

    private func add(_ event: String) { lock.withLock { _events.append(event) } }

    func onStatus(update: StatusUpdate) throws {
        add("status \(update.poll) \(update.status.statusText)")
        if throwOnStatus { throw CallbackError.Failed(reason: "host bug") }
    }
    func onTransientError(error: AuthCloudError, retryInMs: UInt64) throws { add("transient") }
    func onFinished(outcome: WaitOutcome) throws { add("finished \(outcome.succeeded)") }
    func onFailed(error: AuthCloudError) throws { add("failed \(error)") }
}

final class Sink: LogSink, @unchecked Sendable {
    private let lock = NSLock()
    private var _records: [LogRecord] = []
    var records: [LogRecord] { lock.withLock { _records } }
    func log(record: LogRecord) throws { lock.withLock { _records.append(record) } }
}

final class AuthCloudTests: XCTestCase {
    func testAsyncFlow() async throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try AsyncClient(config: config(emulator))
        let enrolled = try await client.enroll(username: "swift-user")
        XCTAssertEqual(enrolled.user.username, "swift-user")
        let size = try pngSize(enrolled.enrollment.qrCode.png())
        XCTAssertEqual(size.width, 300)
        XCTAssertEqual(size.height, 300)
        let token = enrolled.enrollment.statusToken
        let pending = try await client.status(statusToken: token)
        XCTAssertEqual(pending.status, .pending)

        let transactionId = enrolled.enrollment.transactionId
        Task.detached {
            try await Task.sleep(nanoseconds: 200_000_000)
            try emulator.approve(transactionId: transactionId)
        }
        let outcome = try await client.waitForCompletion(statusToken: token, options: fastWait())
        XCTAssertTrue(outcome.succeeded)
        XCTAssertGreaterThanOrEqual(outcome.polls, 2)
        let verified = try await client.verify(statusToken: token)
        XCTAssertEqual(verified.userId, enrolled.user.userId)
        XCTAssertTrue(verified.introspection.active)
        let introspection = try await client.introspect(token: try XCTUnwrap(outcome.status.token))
        XCTAssertTrue(introspection.active)
        XCTAssertEqual(introspection.sub, enrolled.user.userId)
    }

    func testBlockingFlow() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try Client(config: config(emulator))
        let enrolled = try client.enroll(username: "blocking")
        XCTAssertEqual(try pngSize(enrolled.enrollment.qrCode.png()).width, 300)
        try emulator.approve(transactionId: enrolled.enrollment.transactionId)
        let outcome = try client.waitForCompletion(statusToken: enrolled.enrollment.statusToken, options: fastWait())
        XCTAssertTrue(outcome.succeeded)
        let verified = try client.verify(statusToken: enrolled.enrollment.statusToken)
        XCTAssertEqual(verified.username, "blocking")
        XCTAssertTrue(try client.introspect(token: XCTUnwrap(outcome.status.token)).active)
    }

    func testObserverOrderWithASwiftClass() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try Client(config: config(emulator))
        let enrolled = try client.enroll(username: "observed")
        let transactionId = enrolled.enrollment.transactionId
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.25) { try? emulator.approve(transactionId: transactionId) }
        let recorder = Recorder()
        recorder.throwOnStatus = true  // a throwing callback must not break the wait
        let outcome = try client.waitForCompletion(
            statusToken: enrolled.enrollment.statusToken, options: fastWait(), observer: recorder)
        XCTAssertTrue(outcome.succeeded)
        var expected = (1..<outcome.polls).map { "status \($0) pending" }
        expected.append("status \(outcome.polls) succeeded")
        expected.append("finished true")
        XCTAssertEqual(recorder.events, expected)
    }

    func testLogSinkReceivesLines() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let sink = Sink()
        setLogSink(sink: sink, maxLevel: .debug)
        defer { clearLogSink() }
        let client = try Client(config: config(emulator))
        let enrolled = try client.enroll(username: "logged")
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline && !sink.records.contains(where: { $0.target == "authcloud::http" }) {
            Thread.sleep(forTimeInterval: 0.02)
        }
        let http = sink.records.filter { $0.target == "authcloud::http" }
        XCTAssertTrue(http.contains { $0.message.contains("operation=enroll") && $0.message.contains("status=201") })
        let secrets = [emulator.accessKey().reveal(), enrolled.enrollment.statusToken.reveal()]
        for record in sink.records {
            for secret in secrets { XCTAssertFalse(record.message.contains(secret)) }
        }
    }

    func testWatchHandleCancelStopsPolling() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try AsyncClient(config: config(emulator))
        let enrolled = try Client(config: config(emulator)).enroll(username: "watched")
        let recorder = Recorder()
        let handle = try client.watch(statusToken: enrolled.enrollment.statusToken, observer: recorder, options: fastWait())
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertFalse(handle.isFinished())
        handle.cancel()
        XCTAssertTrue(handle.join(timeoutMs: 2000))
        let polls = try statusRequests(emulator)
        XCTAssertGreaterThanOrEqual(polls, 3)
        Thread.sleep(forTimeInterval: 0.4)
        XCTAssertEqual(try statusRequests(emulator), polls, "no status request after cancel")
        XCTAssertEqual(recorder.events.last, "failed \(AuthCloudError.Cancelled)")
    }

    func testTaskCancellationOfTheStatusStreamStopsPolling() async throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try AsyncClient(config: config(emulator))
        let enrolled = try await client.enroll(username: "streamed")
        let consumer = Task {
            var seen = 0
            for try await _ in client.statusUpdates(statusToken: enrolled.enrollment.statusToken, options: fastWait()) {
                seen += 1
            }
            return seen
        }
        try await Task.sleep(nanoseconds: 300_000_000)
        consumer.cancel()
        _ = try? await consumer.value
        try await Task.sleep(nanoseconds: 100_000_000)
        let polls = try statusRequests(emulator)
        try await Task.sleep(nanoseconds: 400_000_000)
        XCTAssertEqual(try statusRequests(emulator), polls, "no status request after the task was cancelled")
    }

    func testStatusStreamEndsOnTheFinalStatus() async throws {
        let emulator = try Emulator.start(options: EmulatorOptions(autoApproveAfterMs: 200))
        defer { emulator.stop() }
        let client = try AsyncClient(config: config(emulator))
        let enrolled = try await client.enroll(username: "streamed-ok")
        var statuses: [TransactionStatus] = []
        for try await update in client.statusUpdates(statusToken: enrolled.enrollment.statusToken, options: fastWait()) {
            statuses.append(update.status.status)
        }
        XCTAssertEqual(statuses.last, .succeeded)
        XCTAssertTrue(statuses.dropLast().allSatisfy { $0 == .pending })
    }

    func testTypedErrors() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let wrongKey = try Client(config: config(emulator, accessKey: Secret(value: "wrong-key-0123456789")))
        XCTAssertThrowsError(try wrongKey.enroll(username: "u")) { error in
            guard case AuthCloudError.Unauthorized(let endpoint, let status, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(status, 401)
            XCTAssertEqual(endpoint, "POST /api/v1/users/enroll")
            // The description is the SDK's sentence; kind() a stable name.
            XCTAssertTrue(String(describing: error).hasPrefix("401 Unauthorized from POST /api/v1/users/enroll"), "\(error)")
            XCTAssertEqual((error as? AuthCloudError)?.kind(), "unauthorized")
        }
        let client = try Client(config: config(emulator))
        XCTAssertThrowsError(try client.enroll(userId: "7e16ba00-92e2-4fcb-b30e-1af8fdc843aa")) { error in
            guard case AuthCloudError.NotFound = error else { return XCTFail("\(error)") }
        }
        try emulator.injectFault(path: enrollPath, fault: .status(status: 429, retryAfterSecs: 120), count: 1)
        XCTAssertThrowsError(try client.enroll(username: "u")) { error in
            guard case AuthCloudError.RateLimited(_, let retryAfterMs, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(retryAfterMs, 120_000)
        }
        let impatient = try Client(config: config(emulator, requestTimeoutMs: 300))
        try emulator.injectFault(path: enrollPath, fault: .delay(delayMs: 1500), count: 1)
        XCTAssertThrowsError(try impatient.enroll(username: "u")) { error in
            guard case AuthCloudError.Timeout(_, let afterMs, let notSent) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(afterMs, 300)
            XCTAssertFalse(notSent, "the slow enroll was sent")
        }
        // 401, 404, 429 (Retry-After beyond the cap) and the timeout: one request each.
        XCTAssertEqual(try emulator.requests().filter { $0.path == enrollPath }.count, 4, "enroll is never re-sent")
    }

    func testARustPanicIsAnErrorNotACrash() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        XCTAssertThrowsError(try emulator.simulateSdkPanic())
        XCTAssertTrue(emulator.baseUrl().hasPrefix("http://127.0.0.1:"))
    }

    func testNoSecretInAnyDescription() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let key = emulator.accessKey()
        let cfg = config(emulator)
        let client = try Client(config: cfg)
        let enrolled = try client.enroll(username: "secretive")
        try emulator.approve(transactionId: enrolled.enrollment.transactionId)
        let status = try client.status(statusToken: enrolled.enrollment.statusToken)
        let intent = try client.createIntent(operation: .enroll, username: "secretive")
        let deviceConfig = ClientConfig(baseUrl: emulator.baseUrl(), intentToken: intent)
        let device = try Client(config: deviceConfig)
        var errors: [Error] = []
        do { _ = try device.introspect(token: enrolled.enrollment.statusToken) } catch { errors.append(error) }
        do { _ = try Client(config: config(emulator, accessKey: Secret(value: "wrong-key-0123456789"))).enroll(username: "u") } catch {
            errors.append(error)
        }
        XCTAssertEqual(errors.count, 2)
        // The deep link's dispatch token lets whoever opens it complete the registration.
        let dispatch = try XCTUnwrap(enrolled.enrollment.appLinkUri.reveal().components(separatedBy: "dispatchTokenResponse=").last)
        let secrets = [key.reveal(), enrolled.enrollment.statusToken.reveal(), try XCTUnwrap(status.token).reveal(),
                       intent.reveal(), "wrong-key-0123456789", dispatch]
        let described: [String] = [
            String(describing: cfg), String(reflecting: cfg), String(describing: deviceConfig),
            String(describing: client), String(describing: device), String(describing: key),
            String(describing: status), String(describing: enrolled.enrollment), String(reflecting: enrolled),
        ] + errors.flatMap { [String(describing: $0), String(reflecting: $0), $0.localizedDescription] }
        for text in described {
            for secret in secrets { XCTAssertFalse(text.contains(secret), "shows a secret: \(text)") }
        }
        XCTAssertTrue(String(describing: cfg).contains("[redacted]"))
    }
}
