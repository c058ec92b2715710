// The fault matrix on the endpoints of the code channels, the SMS approval and the log
// export, from Swift: every fault ends in a typed error or (where sending again is safe)
// the answer, and each request reaches the emulator exactly as often as the re-send rules
// allow. The same table as the Rust, Python and Kotlin suites.

import Foundation
import XCTest

@testable import AuthCloud

private let faults: [(name: String, fault: Fault)] = [
    ("500", .status(status: 500, retryAfterSecs: nil)),
    ("drop", .drop),
    ("garbage", .garbage),
    ("truncated", .truncated),
    ("429", .status(status: 429, retryAfterSecs: 0)),
    ("503", .status(status: 503, retryAfterSecs: nil)),
]

/// What one faulty exchange came to: the answer or the error, and the requests it sent.
private struct Outcome {
    let value: Any
    let sent: Int
}

private func withFault(_ emulator: Emulator, _ path: String, _ fault: Fault, _ call: () throws -> Any) throws -> Outcome {
    let before = try lostOpsRequests(emulator, path)
    try emulator.injectFault(path: path, fault: fault, count: 1)
    var value: Any
    do {
        value = try call()
    } catch let error as AuthCloudError {
        if case .InvalidInput = error { XCTFail("refused locally: \(error)") }
        value = error
    }
    return Outcome(value: value, sent: try lostOpsRequests(emulator, path) - before)
}

/// Checks one row of a table: the requests sent, and whether the answer (of type `answer`) came.
private func assertRow<Answer>(
    _ outcome: Outcome, _ name: String, sent: Int, answered: Bool, _ answer: Answer.Type,
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(outcome.sent, sent, name, file: file, line: line)
    XCTAssertEqual(outcome.value is Answer, answered, "\(name): \(outcome.value)", file: file, line: line)
}

/// (answered?, requests sent) per fault, in the order of `faults`, for an operation never
/// re-sent once it may have arrived: only a refusal (429) is sent again.
private let neverResent: [(Bool, Int)] = [(false, 1), (false, 1), (false, 1), (false, 1), (true, 2), (false, 1)]

final class CodeFaultsTests: XCTestCase {
    func testAnSmsEnrollmentIsSentOnceUnlessRefused() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try Client(config: config(emulator))
        for ((name, fault), (answered, sent)) in zip(faults, neverResent) {
            let outcome = try withFault(emulator, enrollPath, fault) {
                try client.enrollSms(phone: "+41791234567", username: "swift-fault-\(name)")
            }
            assertRow(outcome, name, sent: sent, answered: answered, SmsEnrollResult.self)
        }
    }

    func testAnSmsApprovalIsSentOnceUnlessRefused() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try Client(config: config(emulator))
        for ((name, fault), (answered, sent)) in zip(faults, neverResent) {
            let enrolled = try client.enrollSms(phone: "+41791234567", username: "swift-sms-fault-\(name)")
            let userId = enrolled.user.userId
            let code = try XCTUnwrap(try emulator.smsMessagesTo(userId: userId).last).code
            let check = CodeCheck.sms(statusToken: enrolled.statusToken, code: Secret(value: code))
            XCTAssertEqual(try client.verifyCode(userId: userId, check: check), .correct)
            let outcome = try withFault(emulator, approvalPath, fault) {
                try client.approve(request: ApprovalRequest(userId: userId, channel: .sms))
            }
            assertRow(outcome, name, sent: sent, answered: answered, ApprovalResult.self)
            XCTAssertLessThanOrEqual(try emulator.smsMessagesTo(userId: userId).count, 2, "\(name): a second SMS")
        }
    }

    func testACodeCheckIsSentOnceUnlessRefused() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try Client(config: config(emulator))
        let userId = try client.enroll(username: "swift-code-faults").user.userId
        let codes = try client.requestRecoveryCodes(userId: userId).codes
        let path = "/api/v1/users/\(userId)/verification"
        // Garbage in a 200 is still a 200: the code was right.
        let expected: [(CodeVerdict?, Int)] = [(nil, 1), (nil, 1), (.correct, 1), (nil, 1), (.correct, 2), (nil, 1)]
        for (index, ((name, fault), (verdict, sent))) in zip(faults, expected).enumerated() {
            let outcome = try withFault(emulator, path, fault) {
                try client.verifyCode(userId: userId, check: .recovery(code: codes[index]))
            }
            XCTAssertEqual(outcome.sent, sent, name)
            if let verdict {
                XCTAssertEqual(outcome.value as? CodeVerdict, verdict, name)
            } else {
                XCTAssertTrue(outcome.value is AuthCloudError, "\(name): \(outcome.value)")
            }
        }
    }

    func testRecoveryCodesAreRequestedAgainOnlyAfterARefusal() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try Client(config: config(emulator))
        // A duplicate replaces the set, so only "surely not processed" (429, bare 503) is re-sent.
        let expected: [(Bool, Int)] = [(false, 1), (false, 1), (false, 1), (false, 1), (true, 2), (true, 2)]
        for ((name, fault), (answered, sent)) in zip(faults, expected) {
            let userId = try client.enroll(username: "swift-recovery-fault-\(name)").user.userId
            let outcome = try withFault(emulator, enrollPath, fault) { try client.requestRecoveryCodes(userId: userId) }
            assertRow(outcome, name, sent: sent, answered: answered, RecoveryCodes.self)
        }
    }

    func testTheLogExportIsRetriedAsARead() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try Client(config: config(emulator))
        _ = try client.enroll(username: "swift-export-fault")
        let expected: [(Bool, Int)] = [(false, 1), (true, 2), (false, 1), (true, 2), (true, 2), (true, 2)]
        for ((name, fault), (answered, sent)) in zip(faults, expected) {
            let outcome = try withFault(emulator, "/api/v1/logs/export", fault) { try client.exportLogs() }
            XCTAssertEqual(outcome.sent, sent, name)
            if answered {
                XCTAssertFalse(try XCTUnwrap(outcome.value as? LogExport, name).events.isEmpty, name)
            } else if name == "garbage" {
                guard case AuthCloudError.MalformedResponse = try XCTUnwrap(outcome.value as? AuthCloudError) else {
                    return XCTFail("garbage: \(outcome.value)")
                }
            } else {
                XCTAssertTrue(outcome.value is AuthCloudError, "\(name): \(outcome.value)")
            }
        }
    }
}
