// `waitForCompletion(of:)`: cancelling the awaiting task stops the polling at once.

import Foundation
import XCTest

@testable import AuthCloud

final class TaskCancellationTests: XCTestCase {
    func testCancellingTheTaskStopsTheWaitAtOnce() async throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try AsyncClient(config: config(emulator))
        let enrolled = try await client.enroll(username: "task-cancelled")
        let token = enrolled.enrollment.statusToken
        let waiter = Task { try await client.waitForCompletion(of: token, options: fastWait()) }
        try await Task.sleep(nanoseconds: 300_000_000)
        let before = try statusRequests(emulator)
        XCTAssertGreaterThanOrEqual(before, 2, "it was polling")

        let cancelledAt = Date()
        waiter.cancel()
        do {
            let outcome = try await waiter.value
            XCTFail("the wait went on to \(outcome)")
        } catch is CancellationError {
            // the documented error
        } catch {
            XCTFail("expected CancellationError, got \(error)")
        }
        let took = Date().timeIntervalSince(cancelledAt)
        XCTAssertLessThan(took, 0.1, "ended \(took) s after the cancel")

        let atEnd = try statusRequests(emulator)
        print("cancelled wait ended \(Int(took * 1000)) ms after the cancel; status requests \(before) before, \(atEnd) at the end")
        XCTAssertLessThanOrEqual(atEnd, before + 1, "at most the request in flight")
        try await Task.sleep(nanoseconds: 400_000_000)  // 4 poll intervals
        XCTAssertEqual(try statusRequests(emulator), atEnd, "no status request after the cancel")
    }

    func testAnAlreadyCancelledTaskSendsNothing() async throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try AsyncClient(config: config(emulator))
        let token = try await client.enroll(username: "cancelled-early").enrollment.statusToken
        let waiter = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await client.waitForCompletion(of: token, options: fastWait())
        }
        do {
            _ = try await waiter.value
            XCTFail("an already cancelled task waited")
        } catch is CancellationError {}
        XCTAssertEqual(try statusRequests(emulator), 0)
    }

    func testTheObserverHearsTheCancel() async throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try AsyncClient(config: config(emulator))
        let token = try await client.enroll(username: "observed-cancel").enrollment.statusToken
        let recorder = Recorder()
        let waiter = Task { try await client.waitForCompletion(of: token, options: fastWait(), observer: recorder) }
        try await Task.sleep(nanoseconds: 250_000_000)
        waiter.cancel()
        _ = try? await waiter.value
        XCTAssertEqual(recorder.events.first, "status 1 pending")
        XCTAssertEqual(recorder.events.last, "failed \(AuthCloudError.Cancelled)")
    }

    func testWithoutCancellingItReturnsTheOutcome() async throws {
        let emulator = try Emulator.start(options: EmulatorOptions(autoApproveAfterMs: 250))
        defer { emulator.stop() }
        let client = try AsyncClient(config: config(emulator))
        let token = try await client.enroll(username: "not-cancelled").enrollment.statusToken
        let outcome = try await client.waitForCompletion(of: token, options: fastWait())
        XCTAssertTrue(outcome.succeeded)
        // Its other errors are the wait's own.
        let other = try await client.enroll(username: "too-slow").enrollment.statusToken
        do {
            _ = try await client.waitForCompletion(of: other, options: fastWait(timeoutMs: 150))
            XCTFail("no deadline")
        } catch AuthCloudError.WaitTimedOut {}
    }

    /// Why `waitForCompletion(of:)` exists: the generated method ignores `Task.cancel()`
    /// (uniffi 0.32). If this starts failing, uniffi learnt to cancel Rust futures.
    func testTheGeneratedWaitIgnoresTaskCancellation() async throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try AsyncClient(config: config(emulator))
        let token = try await client.enroll(username: "not-honoured").enrollment.statusToken
        let waiter = Task { try await client.waitForCompletion(statusToken: token, options: fastWait(timeoutMs: 700)) }
        try await Task.sleep(nanoseconds: 200_000_000)
        waiter.cancel()
        let atCancel = try statusRequests(emulator)
        do {
            _ = try await waiter.value
            XCTFail("pending until the deadline")
        } catch AuthCloudError.WaitTimedOut {}
        XCTAssertGreaterThanOrEqual(try statusRequests(emulator), atCancel + 3, "kept polling after Task.cancel()")
    }
}
