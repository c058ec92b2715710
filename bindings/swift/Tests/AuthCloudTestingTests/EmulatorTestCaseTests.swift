// A user's test suite: only AuthCloudTesting's public API, no emulator set up by hand.

import AuthCloud
import AuthCloudTesting
import Foundation
import XCTest

/// The subclass way: every test gets a fresh emulator and clients.
final class EmulatorTestCaseTests: EmulatorTestCase {
    func testBlockingSignUp() throws {
        let enrolled = try client.enroll(username: "alice")
        try authCloud.approve(enrolled)
        let token = enrolled.enrollment.statusToken
        let outcome = try client.waitForCompletion(statusToken: token, options: authCloud.waitOptions())
        XCTAssertTrue(outcome.succeeded)
        let user = try client.verify(
            statusToken: token, expectedUserId: enrolled.user.userId, expectedTransactionId: enrolled.enrollment.transactionId)
        XCTAssertEqual(user.username, "alice")
    }

    func testAsyncSignUpApprovedWhileWaiting() async throws {
        let enrolled = try await asyncClient.enroll(username: "bob")
        authCloud.approve(enrolled, afterMs: 200)
        let outcome = try await asyncClient.waitForCompletion(of: enrolled.enrollment.statusToken, options: authCloud.waitOptions())
        XCTAssertTrue(outcome.succeeded)
        XCTAssertGreaterThanOrEqual(try authCloud.requests(to: AuthCloudPath.status).count, 2)
    }

    func testEachTestHasAFreshEmulator() throws {
        XCTAssertTrue(try emulator.requests().isEmpty, "no request from another test")
        XCTAssertEqual(authCloud.baseUrl, emulator.baseUrl())
        XCTAssertEqual(authCloud.accessKey, emulator.accessKey())
    }

    func testDeclinedAndFaults() throws {
        let enrolled = try client.enroll(username: "carol")
        try authCloud.deny(enrolled)
        let outcome = try client.waitForCompletion(statusToken: enrolled.enrollment.statusToken, options: authCloud.waitOptions())
        XCTAssertFalse(outcome.succeeded)
        XCTAssertEqual(outcome.status.status, .failed)

        try authCloud.injectFault(.status(status: 500, retryAfterSecs: nil), at: AuthCloudPath.enroll)
        XCTAssertThrowsError(try client.enroll(username: "dave")) { error in
            XCTAssertEqual((error as? AuthCloudError)?.kind(), "server")
        }
        let wrongKey = try authCloud.makeClient(accessKey: Secret(value: "not-the-key-0123456789"))
        XCTAssertThrowsError(try wrongKey.enroll(username: "erin")) { error in
            XCTAssertEqual((error as? AuthCloudError)?.kind(), "unauthorized")
        }
        XCTAssertEqual(try authCloud.requests(to: AuthCloudPath.enroll).count, 3)
    }

    /// An override calls super; after it, this test's emulator no longer answers.
    override func tearDownWithError() throws {
        let running = try XCTUnwrap(authCloud)
        try super.tearDownWithError()
        XCTAssertNil(authCloud)
        XCTAssertThrowsError(try running.client.enroll(username: "after-the-test")) { error in
            XCTAssertEqual((error as? AuthCloudError)?.kind(), "network", "\(error)")
        }
    }
}

/// Different emulator settings for a whole class.
final class AutoApprovingEmulatorTests: EmulatorTestCase {
    override var emulatorOptions: EmulatorOptions { EmulatorOptions(autoApproveAfterMs: 150) }

    func testApprovedByTheEmulator() async throws {
        let enrolled = try await asyncClient.enroll(username: "grace")
        let outcome = try await asyncClient.waitForCompletion(of: enrolled.enrollment.statusToken, options: authCloud.waitOptions())
        XCTAssertTrue(outcome.succeeded)
    }
}

/// The helper in any XCTestCase, without subclassing.
final class AuthCloudEmulatorTests: XCTestCase {
    func testStartForATestCase() async throws {
        let authCloud = try AuthCloudEmulator.start(for: self, options: EmulatorOptions(autoApproveAfterMs: 100))
        let enrolled = try await authCloud.asyncClient.enroll(username: "heidi")
        let outcome = try await authCloud.asyncClient.waitForCompletion(
            of: enrolled.enrollment.statusToken, options: authCloud.waitOptions())
        XCTAssertTrue(outcome.succeeded)
        let verified = try await authCloud.asyncClient.verify(statusToken: enrolled.enrollment.statusToken)
        XCTAssertEqual(verified.userId, enrolled.user.userId)
    }

    func testAShortRequestTimeout() throws {
        let authCloud = try AuthCloudEmulator.start(for: self)
        try authCloud.injectFault(.delay(delayMs: 1000), at: AuthCloudPath.enroll)
        let impatient = try authCloud.makeClient(requestTimeoutMs: 200)
        XCTAssertThrowsError(try impatient.enroll(username: "ivan")) { error in
            XCTAssertEqual((error as? AuthCloudError)?.kind(), "timeout")
        }
    }
}
