// The code channels and the rest of the approval API from Swift, against the emulator over
// real HTTP: SMS registration, recovery codes, SMS / usernameless / any-authenticator
// approvals, the push limit, the log export, and bad input refused before sending.

import Foundation
import XCTest

@testable import AuthCloud

private func lastCode(_ emulator: Emulator, _ userId: String) throws -> String {
    try XCTUnwrap(try emulator.smsMessagesTo(userId: userId).last).code
}

/// A user with a phone registered for SMS codes (the first code checked).
private func withPhone(_ emulator: Emulator, _ client: Client, _ username: String) throws -> String {
    let enrolled = try client.enrollSms(phone: "+41791234567", username: username)
    let userId = enrolled.user.userId
    let check = CodeCheck.sms(statusToken: enrolled.statusToken, code: Secret(value: try lastCode(emulator, userId)))
    XCTAssertEqual(try client.verifyCode(userId: userId, check: check), .correct)
    return userId
}

final class CodesAndApprovalsTests: XCTestCase {
    func testRegisterByPhoneThenVerify() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try Client(config: config(emulator))
        let enrolled = try client.enrollSms(phone: "+41791234567", username: "swift-sms", message: "Acme: {{CODE}}")
        let sms = try XCTUnwrap(try emulator.smsMessagesTo(userId: enrolled.user.userId).first)
        XCTAssertEqual(sms.text, "Acme: \(sms.code)")
        let wrong = sms.code == "000000" ? "111111" : "000000"
        XCTAssertEqual(
            try client.verifyCode(
                userId: enrolled.user.userId, check: .sms(statusToken: enrolled.statusToken, code: Secret(value: wrong))),
            .incorrect)
        XCTAssertEqual(
            try client.verifyCode(
                userId: enrolled.user.userId, check: .sms(statusToken: enrolled.statusToken, code: Secret(value: sms.code))),
            .correct)
        let verified = try client.verify(statusToken: enrolled.statusToken, expectedTransactionId: enrolled.transactionId)
        XCTAssertEqual(verified.userId, enrolled.user.userId)
    }

    func testARecoveryCodeWorksOnceAndPrintsRedacted() async throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try AsyncClient(config: config(emulator))
        let user = try await client.enroll(username: "swift-recovery").user
        let issued = try await client.requestRecoveryCodes(userId: user.userId)
        XCTAssertEqual(issued.codes.count, 10)
        let first = issued.codes[0].reveal()
        XCTAssertEqual(first.count, 16)
        XCTAssertFalse(String(describing: issued).contains(first))
        let once = CodeCheck.recovery(code: issued.codes[0])
        let firstVerdict = try await client.verifyCode(userId: user.userId, check: once)
        XCTAssertEqual(firstVerdict, .correct)
        let secondVerdict = try await client.verifyCode(userId: user.userId, check: once)
        XCTAssertEqual(secondVerdict, .incorrect)
    }

    func testAnSmsApprovalIsDecidedByTheCode() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try Client(config: config(emulator))
        let userId = try withPhone(emulator, client, "swift-sms-login")
        let approval = try client.approve(
            request: ApprovalRequest(userId: userId, channel: .sms, message: "Acme login {{CODE}}"))
        XCTAssertNil(approval.qrCode)
        XCTAssertEqual(try client.status(statusToken: approval.statusToken).status, .pending)
        let code = try lastCode(emulator, userId)
        let check = CodeCheck.sms(statusToken: approval.statusToken, code: Secret(value: code))
        XCTAssertEqual(try client.verifyCode(userId: userId, check: check), .correct)
        let verified = try client.verify(
            statusToken: approval.statusToken, expectedUserId: userId, expectedTransactionId: approval.transactionId)
        XCTAssertEqual(verified.userId, userId)
    }

    func testAUsernamelessApprovalNamesTheUserOnceApproved() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try Client(config: config(emulator))
        _ = try registered(emulator, client, "swift-bystander")
        let user = try registered(emulator, client, "swift-scanner")
        let approval = try client.approve(request: ApprovalRequest(usernameless: true))
        XCTAssertNotNil(approval.appLinkUri)
        let pending = try client.status(statusToken: approval.statusToken)
        XCTAssertEqual(pending.status, .pending)
        XCTAssertNil(pending.userId)
        try emulator.approveAs(transactionId: approval.transactionId, userId: user.userId)
        let outcome = try client.waitForCompletion(statusToken: approval.statusToken, options: fastWait())
        XCTAssertTrue(outcome.succeeded)
        XCTAssertEqual(outcome.status.userId, user.userId)
        XCTAssertEqual(outcome.status.username, "swift-scanner")
    }

    func testAnyOfTheUsersAppsMayApprove() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try Client(config: config(emulator))
        let user = try registered(emulator, client, "swift-two-phones")
        try emulator.approve(transactionId: try client.enroll(userId: user.userId).enrollment.transactionId)
        let approval = try client.approve(
            request: ApprovalRequest(userId: user.userId, channel: .app, authenticatorId: "*"))
        try emulator.approve(transactionId: approval.transactionId)
        XCTAssertEqual(try client.verify(statusToken: approval.statusToken, expectedUserId: user.userId).userId, user.userId)
    }

    func testAUserPushedPastTheLimitShowsExceededRateLimits() throws {
        let emulator = try Emulator.start(options: EmulatorOptions(pushLimit: RateLimit(max: 2, periodMs: 3_600_000)))
        defer { emulator.stop() }
        let client = try Client(config: config(emulator))
        let user = try registered(emulator, client, "swift-pushed")
        XCTAssertEqual(try client.getUser(userId: user.userId).exceededRateLimits, [])
        for _ in 0..<2 { _ = try client.approve(request: ApprovalRequest(userId: user.userId)) }
        XCTAssertEqual(try client.getUser(userId: user.userId).exceededRateLimits, ["push"])
        XCTAssertThrowsError(try client.approve(request: ApprovalRequest(userId: user.userId))) { error in
            guard case AuthCloudError.RateLimited = error else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(try approvalRequests(emulator), 3)
    }

    func testTheLogExportWithTwoFiltersReturnsExactlyTheMatchingRows() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try Client(config: config(emulator))
        let anna = try registered(emulator, client, "swift-log-anna")
        let bert = try registered(emulator, client, "swift-log-bert")
        try emulator.deny(transactionId: try client.approve(request: ApprovalRequest(userId: anna.userId)).transactionId)
        try emulator.approve(transactionId: try client.approve(request: ApprovalRequest(userId: bert.userId)).transactionId)
        let everything = try client.exportLogs().events
        let expected = everything.filter { $0.category == "approval" && $0.status == "failure" }
        XCTAssertFalse(expected.isEmpty)
        let rows = try client.exportLogs(
            query: LogQuery(timespanSeconds: 3600, statuses: ["failure"], categories: ["approval"])
        ).events
        XCTAssertEqual(rows.map(\.eventId), expected.map(\.eventId))
        XCTAssertEqual(Set(rows.compactMap(\.userId)), [anna.userId])
    }

    func testBadInputIsRefusedBeforeAnythingIsSent() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try Client(config: config(emulator))
        func field(_ call: () throws -> Void) -> String? {
            do { try call() } catch AuthCloudError.InvalidInput(let field, _) { return field } catch { return "\(error)" }
            return nil
        }
        XCTAssertEqual(field { _ = try client.enrollSms(phone: "41791234567", username: "x") }, "phone")
        XCTAssertEqual(field { _ = try client.enrollSms(phone: "+41791234567", username: "x", message: "no code") }, "message")
        XCTAssertEqual(field { _ = try client.enrollSms(phone: "+41791234567", username: "x", message: "Kód {{CODE}} ✓") }, "message")
        XCTAssertEqual(field { _ = try client.enrollSms(phone: "+41791234567", username: String(repeating: "u", count: 301)) }, "username")
        XCTAssertEqual(
            field { _ = try client.verifyCode(userId: UUID().uuidString.lowercased(), check: .recovery(code: Secret(value: "Ab3dEf6hIj9kLm0"))) },
            "code")
        XCTAssertEqual(field { _ = try client.exportLogs(query: LogQuery(filter: "a")) }, "filter")
        let sent = try emulator.requests().filter { !$0.path.hasPrefix("/_emulator") }
        XCTAssertEqual(sent.map(\.path), [])
    }
}
