// The SDK never hangs its host: blocking calls right after async ones, cancelled tasks with
// observers, log records before a call returns, and a process that exits with work in flight.

import Foundation
import XCTest

@testable import AuthCloud

/// Runs `work` on a detached task and fails (instead of stalling the suite) if it has not
/// finished within `seconds`.
func withDeadline(
    _ seconds: TimeInterval, _ what: String, _ work: @escaping @Sendable () async throws -> Void
) {
    let done = XCTestExpectation(description: what)
    let failure = Collected.Failure()
    Task.detached {
        do { try await work() } catch { failure.set("\(error)") }
        done.fulfill()
    }
    let result = XCTWaiter.wait(for: [done], timeout: seconds)
    XCTAssertEqual(result, .completed, "\(what): still running after \(seconds) s")
    if let message = failure.message { XCTFail("\(what): \(message)") }
}

extension Collected {
    final class Failure: @unchecked Sendable {
        private let lock = NSLock()
        private var _message: String?
        var message: String? { lock.withLock { _message } }
        func set(_ message: String) { lock.withLock { _message = message } }
    }
}

final class NeverHangsTests: XCTestCase {
    func testBlockingCallsRightAfterAsyncCallsX100() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let blocking = try Client(config: config(emulator))
        let concurrent = try AsyncClient(config: config(emulator))
        withDeadline(60, "100 async + blocking pairs") {
            for _ in 0..<100 {
                try await concurrent.ping()
                try blocking.ping()  // wherever the continuation resumed this task
            }
        }
    }

    func testACancelledTaskWaitTellsItsObserverOnce() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try AsyncClient(config: config(emulator))
        let recorder = Recorder()
        withDeadline(30, "cancelled wait") {
            let token = try await client.enroll(username: "swift-cancelled").enrollment.statusToken
            let waiter = Task { try await client.waitForCompletion(of: token, options: fastWait(), observer: recorder) }
            try await Task.sleep(nanoseconds: 300_000_000)
            waiter.cancel()
            _ = try? await waiter.value
        }
        let deadline = Date().addingTimeInterval(10)
        while !recorder.events.contains(where: { $0.hasPrefix("failed") }) && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        Thread.sleep(forTimeInterval: 0.2)  // a second end, if any, would come now
        let ends = recorder.events.filter { $0.hasPrefix("failed") || $0.hasPrefix("finished") }
        XCTAssertEqual(ends, ["failed \(AuthCloudError.Cancelled)"])
    }

    func testACallsLogRecordsArriveBeforeItReturns() throws {
        let emulator = try Emulator.start()
        defer {
            clearLogSink()
            emulator.stop()
        }
        let collected = Collected()
        setLogSink(sink: ClosureLogSink { collected.add($0) }, maxLevel: .debug)
        let client = try Client(config: config(emulator))
        _ = try client.enroll(username: "swift-logged-now")
        // No waiting: handed to the sink before `enroll` returned.
        XCTAssertTrue(collected.records.contains(where: isEnrollResponse), "\(collected.records)")
    }

    /// The child half of `testTheProcessExitsPromptlyWithWorkInFlight`: does nothing unless
    /// started by it.
    func testExitScenarioChild() throws {
        guard ProcessInfo.processInfo.environment["AUTHCLOUD_EXIT_SCENARIO"] == "1" else { return }
        let emulator = try Emulator.start(options: EmulatorOptions(autoApproveAfterMs: 300))
        let client = try Client(config: config(emulator))
        let slow = SlowRecorder()
        for i in 0..<40 {
            let token = try client.enroll(username: "swift-exit-\(i)").enrollment.statusToken
            _ = try client.watch(statusToken: token, observer: slow, options: fastWait(timeoutMs: 20_000))
        }
        let never = try Emulator.start()
        let neverClient = try AsyncClient(config: config(never))
        let token = try Client(config: config(never)).enroll(username: "never").enrollment.statusToken
        Task.detached { _ = try? await neverClient.waitForCompletion(statusToken: token) }
        Thread.sleep(forTimeInterval: 0.25)
        FileHandle.standardOutput.write(Data("leaving\n".utf8))  // unbuffered: exit() flushes nothing of Swift's
        exit(0)
    }

    func testTheProcessExitsPromptlyWithWorkInFlight() throws {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        child.arguments = ["AuthCloudTests.NeverHangsTests/testExitScenarioChild"]
        var environment = ProcessInfo.processInfo.environment
        environment["AUTHCLOUD_EXIT_SCENARIO"] = "1"
        child.environment = environment
        let output = Pipe()
        child.standardOutput = output
        child.standardError = output
        try child.run()
        let deadline = Date().addingTimeInterval(30)
        while child.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if child.isRunning {
            child.terminate()
            XCTFail("the process did not exit within 30 s")
            return
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(child.terminationStatus, 0, text)
        XCTAssertTrue(text.contains("leaving"), text)
    }
}

/// Slow callbacks, still running when the process exits.
final class SlowRecorder: WaitObserver, @unchecked Sendable {
    func onStatus(update: StatusUpdate) throws { Thread.sleep(forTimeInterval: 0.01) }
    func onTransientError(error: AuthCloudError, retryInMs: UInt64) throws {}
    func onFinished(outcome: WaitOutcome) throws { Thread.sleep(forTimeInterval: 0.05) }
    func onFailed(error: AuthCloudError) throws {}
}
