// Beyond registration, from Swift: log in with the registered phone (push and app approval)
// and manage users, against the emulator over real HTTP.

import Foundation
import XCTest

@testable import AuthCloud

let approvalPath = "/api/v1/approval"

/// A user registered (enrolled, approved on the simulated phone) with one authenticator.
func registered(_ emulator: Emulator, _ client: Client, _ username: String) throws -> User {
    let enrolled = try client.enroll(username: username)
    try emulator.approve(transactionId: enrolled.enrollment.transactionId)
    let user = try client.getUser(userId: enrolled.user.userId)
    XCTAssertEqual(user.status, "active")
    XCTAssertEqual(user.authenticators.count, 1)
    return user
}

func approvalRequests(_ emulator: Emulator) throws -> Int {
    try emulator.requests().filter { $0.path == approvalPath }.count
}

final class ApprovalTests: XCTestCase {
    func testRegisterThenLogInByPushThenVerify() async throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let user = try registered(emulator, try Client(config: config(emulator)), "swift-login")
        let client = try AsyncClient(config: config(emulator))
        let request = ApprovalRequest(
            userId: user.userId, prompt: true, message: "<html>Log in to <b>Acme</b>?</html>",
            notificationMessage: "Acme login")
        let approval = try await client.approve(request: request)
        XCTAssertNil(approval.qrCode)
        XCTAssertNil(approval.appLinkUri)
        let pending = try emulator.pendingApprovals(userId: user.userId)
        XCTAssertEqual(pending.map(\.transactionId), [approval.transactionId])
        XCTAssertEqual(pending.first?.message, "<html>Log in to <b>Acme</b>?</html>")
        XCTAssertEqual(pending.first?.channel, "push")

        let transactionId = approval.transactionId
        Task.detached {
            try await Task.sleep(nanoseconds: 200_000_000)
            try emulator.approve(transactionId: transactionId)
        }
        // The same stream as for an enrollment.
        var seen: [TransactionStatus] = []
        for try await update in client.statusUpdates(statusToken: approval.statusToken, options: fastWait()) {
            seen.append(update.status.status)
        }
        XCTAssertEqual(seen.last, .succeeded)
        let verified = try await client.verify(
            statusToken: approval.statusToken, expectedUserId: user.userId,
            expectedTransactionId: approval.transactionId)
        XCTAssertEqual(verified.userId, user.userId)
        let after = try await client.getUser(userId: user.userId)
        XCTAssertNotNil(after.lastLoginSuccess)
        XCTAssertEqual(try approvalRequests(emulator), 1, "sent exactly once")
        XCTAssertFalse(String(describing: approval).contains(approval.statusToken.reveal()), "token redacted")
    }

    func testAnAppApprovalShowsAQRCodeAndADeclineIsNotVerified() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try Client(config: config(emulator))
        _ = try registered(emulator, client, "swift-app")
        let approval = try client.approve(request: ApprovalRequest(username: "swift-app", channel: .app))
        let link = try XCTUnwrap(approval.appLinkUri)
        XCTAssertTrue(try link.href().hasPrefix(emulator.baseUrl() + "/open?"))
        let size = try pngSize(try XCTUnwrap(approval.qrCode).png())
        XCTAssertEqual(size.width, 300)
        try emulator.deny(transactionId: approval.transactionId)
        let outcome = try client.waitForCompletion(statusToken: approval.statusToken, options: fastWait())
        XCTAssertFalse(outcome.succeeded)
        XCTAssertThrowsError(try client.verify(statusToken: approval.statusToken)) { error in
            guard case AuthCloudError.NotVerified(let check, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(check, .notSucceeded)
        }
    }

    func testAfterDeletingTheAuthenticatorAnApprovalFailsClearly() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try Client(config: config(emulator))
        let user = try registered(emulator, client, "swift-lost-phone")
        let authenticatorId = user.authenticators[0].authenticatorId
        XCTAssertEqual(try client.deleteAuthenticator(authenticatorId: authenticatorId), .deleted)
        XCTAssertEqual(try client.deleteAuthenticator(authenticatorId: authenticatorId), .notFound, "idempotent")
        XCTAssertThrowsError(try client.approve(request: ApprovalRequest(userId: user.userId))) { error in
            guard case AuthCloudError.Api(_, let httpStatus, _, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(httpStatus, 400)
            XCTAssertTrue("\(error)".hasPrefix("400 Bad Request from POST /api/v1/approval"), "\(error)")
            XCTAssertTrue("\(error)".contains("authenticator"), "\(error)")
        }
        XCTAssertEqual(try approvalRequests(emulator), 1, "a 400 is not retried")
        XCTAssertEqual(try client.getUser(userId: user.userId).status, "new")
    }

    func testMessageRulesAreCheckedBeforeSending() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try Client(config: config(emulator))
        let cases = [
            ("<html><script>x</script></html>", "<script>"),
            ("<html><b class=x>y</b></html>", "`class`"),
            ("Hello <html><b>x</b></html>", "before <html>"),
        ]
        for (message, named) in cases {
            XCTAssertThrowsError(
                try client.approve(request: ApprovalRequest(username: "u", prompt: true, message: message))
            ) { error in
                guard case AuthCloudError.InvalidInput(let field, let reason) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(field, "message")
                XCTAssertTrue(reason.contains(named), reason)
            }
        }
        for tag in ["b", "em", "i", "strong", "u"] {
            XCTAssertNoThrow(try validateApprovalMessage(message: "<html>a <\(tag)>b</\(tag)> c</html>"), tag)
        }
        XCTAssertNoThrow(try validateApprovalMessage(message: "<html>one<br>two<br/>three</html>"))
        XCTAssertThrowsError(try validateApprovalMessage(message: "<html><a href=x>y</a></html>"))
        XCTAssertEqual(try approvalRequests(emulator), 0, "nothing sent")
    }

    func testUsersFindRenameDeleteAndPing() async throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let user = try registered(emulator, try Client(config: config(emulator)), "swift-managed")
        let client = try AsyncClient(config: config(emulator))
        let found = try await client.findUser(username: "swift-managed")
        XCTAssertEqual(found?.userId, user.userId)
        let nobody = try await client.findUser(username: "nobody-here")
        XCTAssertNil(nobody)
        let renamed = try await client.renameAuthenticator(
            authenticatorId: user.authenticators[0].authenticatorId, name: "Anna's phone")
        XCTAssertEqual(renamed?.name, "Anna's phone")
        let deleted = try await client.deleteUser(userId: user.userId)
        XCTAssertEqual(deleted, .deleted)
        do {
            _ = try await client.getUser(userId: user.userId)
            XCTFail("a deleted user was found")
        } catch AuthCloudError.NotFound(let endpoint, _) {
            XCTAssertEqual(endpoint, "GET /api/v1/users/{userId}")
        }
        try await client.ping()
    }
}
