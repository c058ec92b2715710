// Never lose an enrollment: the guide's literal bodies, checked deep links, bound verify,
// cancel tokens, and watches that outlive their handle.

import Foundation
import XCTest

@testable import AuthCloud

/// One of the guide's literal example bodies (tests/fixtures/guide), verbatim.
func guideBody(_ name: String) throws -> String {
    let repo = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    return try String(contentsOf: repo.appendingPathComponent("tests/fixtures/guide/\(name).json"), encoding: .utf8)
}

func raw(_ emulator: Emulator, _ path: String, _ status: UInt16, _ body: String) throws {
    try emulator.injectFault(path: path, fault: .raw(status: status, body: body, contentType: nil))
}

final class ReliabilityTests: XCTestCase {
    func testTheGuidesLiteralEnrollAnswerKeepsTheEnrollment() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try Client(config: config(emulator))
        try raw(emulator, enrollPath, 201, try guideBody("enroll"))
        let enrolled = try client.enroll(username: "u12345")
        XCTAssertEqual(enrolled.user.userId, "7e16ba00-92e2-4fcb-b30e-1af8fdc843aa")
        XCTAssertEqual(enrolled.user.status, "new")
        XCTAssertEqual(enrolled.enrollment.transactionId, "67cae36e-e3d5-4d67-9aa6-ab7ae3050576")
        XCTAssertEqual(enrolled.enrollment.statusToken.reveal(), "eyJhbGciO...PxOZZYow")
        XCTAssertEqual(enrolled.enrollment.qrCode.size(), 300)
        XCTAssertEqual(enrolled.enrollment.qrCode.dataUri(), "...YII")
        XCTAssertThrowsError(try enrolled.enrollment.qrCode.png()) { error in
            guard case AuthCloudError.MalformedResponse = error else { return XCTFail("\(error)") }
        }
        let link = enrolled.enrollment.appLinkUri
        XCTAssertFalse(link.isValid())
        XCTAssertTrue(link.problem()?.contains("DNS name") ?? false)
        XCTAssertThrowsError(try link.href())
        XCTAssertEqual(try emulator.requests().filter { $0.path == enrollPath }.count, 1)
    }

    func testTheGuidesLiteralStatusAndIntrospectAnswersParse() async throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try AsyncClient(config: config(emulator))
        try raw(emulator, statusPath, 200, try guideBody("status"))
        let status = try await client.status(statusToken: Secret(value: "any"))
        XCTAssertEqual(status.status, .pending)
        XCTAssertEqual(status.username, "Userxyz123")
        XCTAssertEqual(status.token?.reveal(), "eyJhb...Fl9bpEXGGw")
        try raw(emulator, "/api/v1/introspect", 200, try guideBody("introspect"))
        let introspection = try await client.introspect(token: Secret(value: "any"))
        XCTAssertTrue(introspection.active)
        XCTAssertEqual(introspection.iat, 1_642_436_165_000)
        XCTAssertEqual(introspection.issuedAtMs, 1_642_436_165_000)
        XCTAssertEqual(introspection.aud, ["api"])
    }

    func testAnUnsafeDeepLinkIsFlaggedNotFatal() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try Client(config: config(emulator))
        let body = #"{"userId": "u", "enrollment": {"transactionId": "t", "statusToken": "s", "appLinkUri": "javascript://x/%0Aalert(1)"}}"#
        try raw(emulator, enrollPath, 201, body)
        let link = try client.enroll(username: "u").enrollment.appLinkUri
        XCTAssertFalse(link.isValid())
        XCTAssertTrue(link.problem()?.contains("javascript") ?? false)
        XCTAssertEqual(link.reveal(), "javascript://x/%0Aalert(1)")
        let good = try client.enroll(username: "u").enrollment.appLinkUri
        XCTAssertTrue(try good.href().hasPrefix(emulator.baseUrl() + "/open?"))
        XCTAssertFalse(String(describing: good).contains("dispatchTokenResponse"))
    }

    func testVerifyBindsTheOperationToTheCallersSession() async throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try AsyncClient(config: config(emulator))
        let mine = try await client.enroll(username: "mine")
        let theirs = try await client.enroll(username: "theirs")
        try emulator.approve(transactionId: theirs.enrollment.transactionId)
        let token = theirs.enrollment.statusToken
        do {
            _ = try await client.verify(statusToken: token, expectedUserId: mine.user.userId)
            XCTFail("another user's token was accepted")
        } catch AuthCloudError.NotVerified(let check, _) {
            XCTAssertEqual(check, .userMismatch)
        }
        do {
            _ = try await client.verify(statusToken: token, expectedTransactionId: mine.enrollment.transactionId)
            XCTFail("another operation's token was accepted")
        } catch AuthCloudError.NotVerified(let check, _) {
            XCTAssertEqual(check, .transactionMismatch)
        }
        XCTAssertTrue(try emulator.requests().filter { $0.path == "/api/v1/introspect" }.isEmpty)
        let verified = try await client.verify(
            statusToken: token, expectedUserId: theirs.user.userId, expectedTransactionId: theirs.enrollment.transactionId)
        XCTAssertEqual(verified.userId, theirs.user.userId)

        try raw(emulator, "/api/v1/introspect", 200, #"{"active": true, "sub": "someone-else"}"#)
        let relaxed = try await client.verify(statusToken: token, checkSubject: false)
        XCTAssertEqual(relaxed.introspection.sub, "someone-else")
    }

    func testACancelTokenStopsAWaitFromAnotherThread() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try Client(config: config(emulator))
        let enrolled = try client.enroll(username: "cancelled")
        let cancel = CancelToken()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { cancel.cancel() }
        let started = Date()
        XCTAssertThrowsError(
            try client.waitForCompletion(statusToken: enrolled.enrollment.statusToken, options: WaitOptions(), cancel: cancel)
        ) { error in
            guard case AuthCloudError.Cancelled = error else { return XCTFail("\(error)") }
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 1.2, "ended at the cancel, not the next 1.5 s poll")
    }

    func testAWatchOutlivesItsReleasedHandle() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try Client(config: config(emulator))
        let enrolled = try client.enroll(username: "released")
        let recorder = Recorder()
        do {
            _ = try client.watch(statusToken: enrolled.enrollment.statusToken, observer: recorder, options: fastWait())
        }
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertGreaterThanOrEqual(try statusRequests(emulator), 2, "still polling after the handle was released")
        try emulator.approve(transactionId: enrolled.enrollment.transactionId)
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline && recorder.events.last != "finished true" { Thread.sleep(forTimeInterval: 0.02) }
        XCTAssertEqual(recorder.events.last, "finished true")
    }

    func testPollingFasterThan100msIsRefused() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let client = try Client(config: config(emulator))
        let enrolled = try client.enroll(username: "impatient")
        XCTAssertThrowsError(
            try client.watch(statusToken: enrolled.enrollment.statusToken, observer: Recorder(), options: WaitOptions(pollIntervalMs: 50)))
    }
}
