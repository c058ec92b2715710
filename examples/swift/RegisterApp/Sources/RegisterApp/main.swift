// Register a phone as an authenticator: enroll → show the QR code / deep link → poll →
// verify (status + introspect). The emulator stands in for the cloud and approves after a
// second; against a real instance use ClientConfig(instance: "acme", accessKey: Secret(value: key))
// and let the user scan the QR code with the authenticator app.

import AuthCloud
import Foundation

// The SDK's log lines (secret-free), info and more severe, to standard error.
setLogSink(sink: TextLogSink(), maxLevel: .info)

let emulator = try Emulator.start(options: EmulatorOptions(autoApproveAfterMs: 1000))
let client = try AsyncClient(config: ClientConfig(baseUrl: emulator.baseUrl(), accessKey: emulator.accessKey()))

let enrolled = try await client.enroll(username: "u12345")
let qrPath = FileManager.default.temporaryDirectory.appendingPathComponent("authcloud-qr.png")
try enrolled.enrollment.qrCode.png().write(to: qrPath)
// The deep link is checked (https, or http to loopback) before it is shown.
print("Scan \(qrPath.path) or open \(try enrolled.enrollment.appLinkUri.href())")

// Wait for the user: polls every 1.5 s until the status is final. In an app, run this in
// the screen's task (SwiftUI's `.task { }`): leaving the screen cancels the task, and
// `waitForCompletion(of:)` then stops polling at once and throws CancellationError. (The
// generated `waitForCompletion(statusToken:)` would poll on: Task.cancel() does not reach
// Rust futures.) For every poll's status, `client.statusUpdates(statusToken:)` is a stream.
let outcome = try await client.waitForCompletion(of: enrolled.enrollment.statusToken)
print("  \(outcome.status.statusText) after \(outcome.polls) polls")

// Verify on the backend, bound to the user and operation this session started.
let user = try await client.verify(
    statusToken: enrolled.enrollment.statusToken,
    expectedUserId: enrolled.user.userId,
    expectedTransactionId: enrolled.enrollment.transactionId)
print("Verified \(user.userId) (\(user.username ?? "-")), token active: \(user.introspection.active)")
emulator.stop()
