// The last ways to lose an operation (issue 18, part 5), from Swift against the emulator: an
// enroll or approval answer without its ids keeps its status token, a request with effects is
// not sent with too little time left after waiting for a request slot, and an approval is
// re-sent after a 503 only when it carries Retry-After. Each scenario runs on another thread
// under a deadline, so a hang fails the test instead of stalling the suite.

import Foundation
import XCTest

@testable import AuthCloud

/// A failed expectation inside a scenario (reported on the test's thread).
struct LostOperationsFailure: Error, CustomStringConvertible {
    let description: String
}

func mustHold(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    if !condition { throw LostOperationsFailure(description: message()) }
}

/// What a scenario running on another thread ended with.
final class LostOperationsOutcome: @unchecked Sendable {
    private let lock = NSLock()
    private var failure: Error?

    func record(_ error: Error) {
        lock.lock()
        defer { lock.unlock() }
        failure = error
    }

    var error: Error? {
        lock.lock()
        defer { lock.unlock() }
        return failure
    }
}

/// Runs `scenario` on another thread and fails the test when it throws, or when it has not
/// ended after `seconds` (a hung native call cannot be interrupted, but no longer stalls XCTest).
func withinDeadline(
    _ seconds: Double = 30, file: StaticString = #filePath, line: UInt = #line,
    _ scenario: @escaping @Sendable () throws -> Void
) {
    let done = DispatchSemaphore(value: 0)
    let outcome = LostOperationsOutcome()
    DispatchQueue.global().async {
        do { try scenario() } catch { outcome.record(error) }
        done.signal()
    }
    if done.wait(timeout: .now() + seconds) == .timedOut {
        XCTFail("hung: not done after \(seconds) s", file: file, line: line)
        return
    }
    if let error = outcome.error {
        XCTFail("\(error)", file: file, line: line)
    }
}

func lostOpsRequests(_ emulator: Emulator, _ path: String) throws -> Int {
    try emulator.requests().filter { $0.path == path }.count
}

/// A user with one authenticator (enrolled and approved on the simulated phone).
func registeredUserId(_ emulator: Emulator, _ client: Client, _ username: String) throws -> String {
    let enrolled = try client.enroll(username: username)
    try emulator.approve(transactionId: enrolled.enrollment.transactionId)
    return enrolled.user.userId
}

/// A real enrollment's answer without the fields in `drop`: its status token is genuine.
/// Returns (transaction id, user id, status token, the partial body).
func partialEnrollAnswer(_ client: Client, drop: Set<String>) throws -> (String, String, String, String) {
    let real = try client.enroll(username: "swift-partial")
    var enrollment = [
        #""statusToken": "\#(real.enrollment.statusToken.reveal())""#,
        #""appLinkUri": "\#(real.enrollment.appLinkUri.reveal())""#,
    ]
    if !drop.contains("transactionId") {
        enrollment.append(#""transactionId": "\#(real.enrollment.transactionId)""#)
    }
    var root = [#""username": "swift-partial", "status": "new""#, #""enrollment": {\#(enrollment.joined(separator: ", "))}"#]
    if !drop.contains("userId") {
        root.append(#""userId": "\#(real.user.userId)""#)
    }
    let body = "{\(root.joined(separator: ", "))}"
    return (real.enrollment.transactionId, real.user.userId, real.enrollment.statusToken.reveal(), body)
}

final class LostOperationsTests: XCTestCase {
    func testAnEnrollAnswerWithoutItsIdsTakesThemFromStatus() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try Client(config: config(emulator))
        withinDeadline {
            for drop: Set<String> in [["transactionId"], ["userId"], ["transactionId", "userId"]] {
                let (transactionId, userId, token, body) = try partialEnrollAnswer(client, drop: drop)
                try emulator.injectFault(path: enrollPath, fault: .json(status: 201, bodyJson: body))
                let lookups = try lostOpsRequests(emulator, statusPath)
                let enrolled = try client.enroll(username: "swift-partial")
                try mustHold(!enrolled.idsMissing, "\(drop): ids missing")
                try mustHold(enrolled.enrollment.transactionId == transactionId, "\(drop): transaction id")
                try mustHold(enrolled.user.userId == userId, "\(drop): user id")
                try mustHold(enrolled.enrollment.statusToken.reveal() == token, "\(drop): status token")
                try mustHold(try lostOpsRequests(emulator, statusPath) == lookups + 1, "\(drop): one status lookup")
            }
        }
    }

    func testAnEnrollAnswerWithoutIdsKeepsItsStatusTokenWhenStatusFailsToo() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try Client(config: config(emulator))
        withinDeadline {
            let (transactionId, userId, token, body) = try partialEnrollAnswer(client, drop: ["transactionId", "userId"])
            try emulator.injectFault(path: enrollPath, fault: .json(status: 201, bodyJson: body))
            try emulator.injectFault(path: statusPath, fault: .status(status: 500, retryAfterSecs: nil))
            let enrolled = try client.enroll(username: "swift-partial")
            try mustHold(enrolled.idsMissing, "ids_missing is not set")
            try mustHold(enrolled.enrollment.transactionId == "" && enrolled.user.userId == "", "unknown ids are empty")
            let statusToken = enrolled.enrollment.statusToken
            try mustHold(statusToken.reveal() == token, "the status token is kept")
            // The registration goes on with the token alone.
            try emulator.approve(transactionId: transactionId)
            let outcome = try client.waitForCompletion(statusToken: statusToken, options: fastWait())
            try mustHold(outcome.succeeded, "the wait did not succeed")
            try mustHold(outcome.status.transactionId == transactionId, "the final status names the transaction")
            try mustHold(try client.verify(statusToken: statusToken).userId == userId, "verify names the user")
            // An empty id never matches: binding to it refuses.
            do {
                _ = try client.verify(statusToken: statusToken, expectedTransactionId: enrolled.enrollment.transactionId)
                throw LostOperationsFailure(description: "verified against an empty transaction id")
            } catch AuthCloudError.NotVerified(let check, _) {
                try mustHold(check == .transactionMismatch, "check \(check)")
            }
        }
    }

    func testAnApprovalAnswerWithoutItsTransactionIdIsCompletedOrKept() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try Client(config: config(emulator))
        withinDeadline {
            let userId = try registeredUserId(emulator, client, "swift-partial-login")
            let request = ApprovalRequest(userId: userId)
            let real = try client.approve(request: request)
            let body = #"{"statusToken": "\#(real.statusToken.reveal())"}"#

            try emulator.injectFault(path: approvalPath, fault: .json(status: 200, bodyJson: body))
            let completed = try client.approve(request: request)
            try mustHold(!completed.idsMissing && completed.transactionId == real.transactionId, "completed from status")

            try emulator.injectFault(path: approvalPath, fault: .json(status: 200, bodyJson: body))
            try emulator.injectFault(path: statusPath, fault: .status(status: 500, retryAfterSecs: nil))
            let kept = try client.approve(request: request)
            try mustHold(kept.idsMissing && kept.transactionId == "", "the id is flagged as missing")
            try mustHold(kept.statusToken.reveal() == real.statusToken.reveal(), "the status token is kept")
            try mustHold(try lostOpsRequests(emulator, approvalPath) == 3, "each approval sent once")
        }
    }

    func testARequestWithEffectsQueuedForASlotIsNotSentWithTooLittleTimeLeft() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try Client(config: config(emulator))
        // One slot; an attempt and the whole call may take 1 s, so the send floor is 500 ms.
        let oneSlot = try Client(
            config: ClientConfig(
                baseUrl: emulator.baseUrl(), accessKey: emulator.accessKey(), requestTimeoutMs: 1000,
                callTimeoutMs: 1000, initialBackoffMs: 10, maxBackoffMs: 50, maxConcurrentRequests: 1))
        withinDeadline {
            let userId = try registeredUserId(emulator, client, "swift-floor")
            let statusToken = try client.enroll(username: "swift-holder").enrollment.statusToken
            for path in [enrollPath, approvalPath] {
                // A status call holds the only slot for 800 ms: once it is free, 200 ms would
                // be left of the 1 s, below the floor.
                let seen = try lostOpsRequests(emulator, statusPath)
                try emulator.injectFault(path: statusPath, fault: .delay(delayMs: 800))
                let holder = DispatchGroup()
                DispatchQueue.global().async(group: holder) { _ = try? oneSlot.status(statusToken: statusToken) }
                while try lostOpsRequests(emulator, statusPath) == seen { Thread.sleep(forTimeInterval: 0.005) }
                let sent = try lostOpsRequests(emulator, path)
                let started = Date()
                do {
                    if path == enrollPath {
                        _ = try oneSlot.enroll(username: "swift-queued")
                    } else {
                        _ = try oneSlot.approve(request: ApprovalRequest(userId: userId))
                    }
                    throw LostOperationsFailure(description: "\(path) was sent with too little time left")
                } catch AuthCloudError.Timeout(_, _, let notSent) {
                    try mustHold(notSent, "\(path): the Timeout does not say not sent")
                }
                try mustHold(Date().timeIntervalSince(started) < 1.2, "\(path) waited too long")
                try mustHold(holder.wait(timeout: .now() + 5) == .success, "the holder did not finish")
                try mustHold(try lostOpsRequests(emulator, path) == sent, "\(path) reached the emulator")
            }
            try mustHold(try emulator.pendingApprovals(userId: userId).isEmpty, "a push went to the phone")
            // Not sent means safe to retry: with the slot free, the same calls go through.
            _ = try oneSlot.enroll(username: "swift-queued")
            _ = try oneSlot.approve(request: ApprovalRequest(userId: userId))
            try mustHold(try emulator.pendingApprovals(userId: userId).count == 1, "one push after the retry")
        }
    }

    func testTheNotSentErrorSaysItIsSafeToRetry() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let oneSlot = try Client(
            config: ClientConfig(
                baseUrl: emulator.baseUrl(), accessKey: emulator.accessKey(), requestTimeoutMs: 1000,
                callTimeoutMs: 1000, initialBackoffMs: 10, maxBackoffMs: 50, maxConcurrentRequests: 1))
        withinDeadline {
            let statusToken = try oneSlot.enroll(username: "swift-sentence").enrollment.statusToken
            let seen = try lostOpsRequests(emulator, statusPath)
            try emulator.injectFault(path: statusPath, fault: .delay(delayMs: 800))
            let holder = DispatchGroup()
            DispatchQueue.global().async(group: holder) { _ = try? oneSlot.status(statusToken: statusToken) }
            while try lostOpsRequests(emulator, statusPath) == seen { Thread.sleep(forTimeInterval: 0.005) }
            do {
                _ = try oneSlot.enroll(username: "swift-sentence")
                throw LostOperationsFailure(description: "enroll was sent with too little time left")
            } catch let error as AuthCloudError {
                let sentence = String(describing: error)
                try mustHold(error.kind() == "timeout" && error.isTransient(), "kind \(error.kind())")
                try mustHold(sentence.hasPrefix("POST /api/v1/users/enroll was not sent"), sentence)
                try mustHold(sentence.contains("safe to retry"), sentence)
            }
            _ = holder.wait(timeout: .now() + 5)
        }
    }

    func testAnApprovalIsReSentAfterA503OnlyWithRetryAfter() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try Client(config: config(emulator))
        withinDeadline {
            let userId = try registeredUserId(emulator, client, "swift-gateway")
            let request = ApprovalRequest(userId: userId)
            try emulator.injectFault(path: approvalPath, fault: .status(status: 503, retryAfterSecs: nil))
            do {
                _ = try client.approve(request: request)
                throw LostOperationsFailure(description: "a bare 503 was re-sent into a success")
            } catch AuthCloudError.Server(_, let httpStatus, _, _) {
                try mustHold(httpStatus == 503, "status \(httpStatus)")
            }
            try mustHold(try lostOpsRequests(emulator, approvalPath) == 1, "exactly one approval request")

            try emulator.injectFault(path: approvalPath, fault: .status(status: 503, retryAfterSecs: 0))
            let approval = try client.approve(request: request)
            try mustHold(try lostOpsRequests(emulator, approvalPath) == 3, "the refused one and its re-send")
            let pending = try emulator.pendingApprovals(userId: userId).map(\.transactionId)
            try mustHold(pending == [approval.transactionId], "one push on the phone: \(pending)")
        }
    }
}
