// Every error kind, produced by a real call where one can produce it, reads as a sentence
// in String(describing:), String(reflecting:) and localizedDescription, has its stable
// kind() and isTransient(), and shows no secret.

import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

@testable import AuthCloud

let transientKinds: Set<String> = ["network", "timeout", "rate_limited", "server"]

/// Checks one error and records its kind in `seen`.
func checkSentence(
    _ error: Error, kind: String, startsWith start: String, contains parts: [String] = [], secrets: [String],
    seen: inout Set<String>, file: StaticString = #filePath, line: UInt = #line
) {
    guard let error = error as? AuthCloudError else {
        return XCTFail("not an AuthCloudError: \(error)", file: file, line: line)
    }
    seen.insert(error.kind())
    let sentence = String(describing: error)
    print("\(kind): \(sentence)")
    XCTAssertEqual(error.kind(), kind, sentence, file: file, line: line)
    XCTAssertEqual(error.isTransient(), transientKinds.contains(kind), "\(kind) transient?", file: file, line: line)
    XCTAssertTrue(sentence.hasPrefix(start), "\(kind): \(sentence)", file: file, line: line)
    for part in parts {
        XCTAssertTrue(sentence.contains(part), "\(kind) lacks \(part): \(sentence)", file: file, line: line)
    }
    XCTAssertEqual("\(error)", sentence, file: file, line: line)
    XCTAssertEqual(error.describe(), sentence, file: file, line: line)
    // The debug form and localizedDescription: the case, then the same sentence.
    let debug = "AuthCloudError.\(caseName(of: error)): \(sentence)"
    XCTAssertEqual(String(reflecting: error), debug, file: file, line: line)
    XCTAssertEqual(error.localizedDescription, debug, file: file, line: line)
    XCTAssertEqual((error as Error).localizedDescription, debug, file: file, line: line)
    XCTAssertEqual((error as NSError).localizedDescription, debug, file: file, line: line)
    for text in [sentence, String(reflecting: error), error.localizedDescription] {
        XCTAssertFalse(text.contains { $0.isNewline }, "one line: \(text)", file: file, line: line)
        for secret in secrets {
            XCTAssertFalse(text.contains(secret), "\(kind) shows a secret: \(text)", file: file, line: line)
        }
    }
}

/// `Unauthorized` for `.Unauthorized(...)`.
func caseName(of error: AuthCloudError) -> String {
    let mirrored = String(describing: Mirror(reflecting: error).children.first?.label ?? "")
    return mirrored.isEmpty ? "Cancelled" : mirrored
}

final class ErrorSentenceTests: XCTestCase {
    func testEveryKindReadsAsASentenceWithoutSecrets() async throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let key = emulator.accessKey()
        let client = try AsyncClient(config: config(emulator))
        let enrolled = try await client.enroll(username: "sentences")
        let token = enrolled.enrollment.statusToken
        let intent = try await client.createIntent(operation: .enroll, username: "sentences")
        let wrongKey = "wrong-key-0123456789abcdef"
        let secrets = [key.reveal(), token.reveal(), intent.reveal(), wrongKey]
        var seen = Set<String>()
        func expectError(_ call: () async throws -> Void, file: StaticString = #filePath, line: UInt = #line) async -> Error {
            do {
                try await call()
            } catch {
                return error
            }
            XCTFail("no error", file: file, line: line)
            return CancellationError()
        }
        func enroll(_ client: AsyncClient) async -> Error {
            await expectError { _ = try await client.enroll(username: "u") }
        }

        // configuration: refused before any request.
        var error = await expectError { _ = try AsyncClient(config: ClientConfig(instance: "Not A Label")) }
        checkSentence(error, kind: "configuration", startsWith: "invalid client configuration: instance name",
                      contains: ["DNS label"], secrets: secrets, seen: &seen)
        let device = try AsyncClient(config: ClientConfig(baseUrl: emulator.baseUrl(), intentToken: intent))
        error = await expectError { _ = try await device.introspect(token: token) }
        checkSentence(error, kind: "configuration",
                      startsWith: "invalid client configuration: `introspect` needs the access key, but this client has an intent token",
                      secrets: secrets, seen: &seen)

        // invalid_input: refused before any request.
        error = await expectError { _ = try await client.enroll(username: "has space") }
        checkSentence(error, kind: "invalid_input", startsWith: "invalid username: character",
                      contains: ["nothing was sent"], secrets: secrets, seen: &seen)

        // network: a closed port (an emulator that was stopped).
        let gone = try Emulator.start()
        let goneUrl = gone.baseUrl()
        gone.stop()
        let nowhere = try AsyncClient(config: ClientConfig(baseUrl: goneUrl, accessKey: key, maxAttempts: 1))
        error = await expectError { _ = try await nowhere.status(statusToken: token) }
        checkSentence(error, kind: "network", startsWith: "network error on POST /api/v1/status: ",
                      contains: ["check the network"], secrets: secrets, seen: &seen)

        // tls: https to a port that speaks plain HTTP. The handshake's last write meets a
        // closed socket and raises SIGPIPE, which would kill a Swift process on Linux —
        // unless ignored, which the SDK does when its runtime starts (if nobody else decided).
        let port = try XCTUnwrap(emulator.baseUrl().split(separator: ":").last)
        let tls = try AsyncClient(config: ClientConfig(baseUrl: "https://127.0.0.1:\(port)", accessKey: key))
        let disposition = signal(SIGPIPE, SIG_IGN)  // reads it (and leaves it ignored)
        XCTAssertEqual(unsafeBitCast(disposition, to: Int.self), unsafeBitCast(SIG_IGN, to: Int.self),
                       "the SDK ignores SIGPIPE")
        error = await expectError { _ = try await tls.enroll(username: "u") }
        checkSentence(error, kind: "tls", startsWith: "TLS handshake for POST /api/v1/users/enroll failed: ",
                      secrets: secrets, seen: &seen)

        // timeout
        let impatient = try AsyncClient(config: config(emulator, requestTimeoutMs: 300))
        try emulator.injectFault(path: enrollPath, fault: .delay(delayMs: 1500), count: 1)
        error = await enroll(impatient)
        checkSentence(error, kind: "timeout", startsWith: "POST /api/v1/users/enroll timed out after 300ms",
                      contains: ["may still have reached"], secrets: secrets, seen: &seen)

        // unauthorized: 401 (a wrong key) and 403.
        let wrong = try AsyncClient(config: config(emulator, accessKey: Secret(value: wrongKey)))
        error = await enroll(wrong)
        checkSentence(error, kind: "unauthorized", startsWith: "401 Unauthorized from POST /api/v1/users/enroll",
                      contains: ["access key or intent token was refused"], secrets: secrets, seen: &seen)
        try emulator.injectFault(path: enrollPath, fault: .status(status: 403, retryAfterSecs: nil), count: 1)
        error = await enroll(client)
        checkSentence(error, kind: "unauthorized", startsWith: "403 Forbidden from POST /api/v1/users/enroll",
                      contains: ["may not do this"], secrets: secrets, seen: &seen)

        // not_found
        error = await expectError { _ = try await client.enroll(userId: "7e16ba00-92e2-4fcb-b30e-1af8fdc843aa") }
        checkSentence(error, kind: "not_found", startsWith: "404 Not Found from POST /api/v1/users/enroll",
                      contains: ["no such user"], secrets: secrets, seen: &seen)

        // rate_limited, server, api: with the server's own words.
        try emulator.injectFault(path: enrollPath, fault: .status(status: 429, retryAfterSecs: 120), count: 1)
        error = await enroll(client)
        checkSentence(error, kind: "rate_limited", startsWith: "429 Too Many Requests from POST /api/v1/users/enroll",
                      contains: ["retry after 2m 0s"], secrets: secrets, seen: &seen)
        try emulator.injectFault(path: enrollPath, fault: .status(status: 500, retryAfterSecs: nil), count: 1)
        error = await enroll(client)
        checkSentence(error, kind: "server",
                      startsWith: "500 Internal Server Error from POST /api/v1/users/enroll: fault injected by the emulator",
                      contains: ["retry later"], secrets: secrets, seen: &seen)
        let body = #"{"error": "Bad Request", "message": "channel is not supported", "status": 400}"#
        try emulator.injectFault(path: enrollPath, fault: .json(status: 400, bodyJson: body), count: 1)
        error = await enroll(client)
        checkSentence(error, kind: "api", startsWith: "400 Bad Request from POST /api/v1/users/enroll: channel is not supported — ",
                      contains: ["check its arguments"], secrets: secrets, seen: &seen)

        // malformed_response, response_too_large
        try emulator.injectFault(path: statusPath, fault: .garbage, count: 1)
        error = await expectError { _ = try await client.status(statusToken: token) }
        checkSentence(error, kind: "malformed_response",
                      startsWith: "unexpected answer from POST /api/v1/status: status answer is not JSON",
                      secrets: secrets, seen: &seen)
        try emulator.injectFault(path: statusPath, fault: .oversized(sizeBytes: 2 * 1024 * 1024), count: 1)
        error = await expectError { _ = try await client.status(statusToken: token) }
        checkSentence(error, kind: "response_too_large",
                      startsWith: "the answer of POST /api/v1/status is larger than the 1048576-byte limit",
                      secrets: secrets, seen: &seen)

        // wait_timed_out, cancelled
        error = await expectError { _ = try await client.waitForCompletion(statusToken: token, options: fastWait(timeoutMs: 350)) }
        checkSentence(error, kind: "wait_timed_out", startsWith: "gave up waiting after",
                      contains: ["(last status: pending)", "did not act in time"], secrets: secrets, seen: &seen)
        let cancel = CancelToken()
        cancel.cancel()
        error = await expectError { _ = try await client.waitForCompletion(statusToken: token, cancel: cancel) }
        checkSentence(error, kind: "cancelled", startsWith: "cancelled by the caller", secrets: secrets, seen: &seen)

        // not_verified names the check.
        error = await expectError { _ = try await client.verify(statusToken: token) }
        checkSentence(error, kind: "not_verified", startsWith: "not verified (status_succeeded): status is `pending`",
                      contains: ["do not trust"], secrets: secrets, seen: &seen)

        // internal: no call produces it on purpose (a Rust panic surfaces differently, see
        // below), so the case itself.
        checkSentence(AuthCloudError.Internal(reason: "something impossible happened"), kind: "internal",
                      startsWith: "internal error in authcloud: something impossible happened (please report it)",
                      secrets: secrets, seen: &seen)

        // Every kind the library lists (core's table, and `internal`) was produced and checked.
        XCTAssertEqual(seen, Set(errorKinds()))
    }

    /// uniffi turns a Rust panic into its own (fileprivate) error, not an `AuthCloudError`;
    /// its description is the panic's message.
    func testARustPanicIsAnotherError() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        do {
            try emulator.simulateSdkPanic()
            XCTFail("no error")
        } catch {
            print("panic: \(String(reflecting: error)) / \(error.localizedDescription)")
            XCTAssertFalse(error is AuthCloudError)
            XCTAssertTrue(error.localizedDescription.contains("deliberate panic"), error.localizedDescription)
        }
    }
}
