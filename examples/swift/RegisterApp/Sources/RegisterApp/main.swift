// Register a phone as an authenticator: enroll → show the QR code / deep link → poll →
// verify (status + introspect). The emulator stands in for the cloud and approves after a
// second; against a real instance use ClientConfig(instance: "acme", accessKey: Secret(value: key))
// and let the user scan the QR code with the authenticator app.

import AuthCloud
import Foundation

let emulator = try Emulator.start(options: EmulatorOptions(autoApproveAfterMs: 1000))
let client = try AsyncClient(config: ClientConfig(baseUrl: emulator.baseUrl(), accessKey: emulator.accessKey()))

let enrolled = try await client.enroll(username: "u12345")
let qrPath = FileManager.default.temporaryDirectory.appendingPathComponent("authcloud-qr.png")
try enrolled.enrollment.qrCode.png().write(to: qrPath)
// The deep link is checked (https, or http to loopback) before it is shown.
print("Scan \(qrPath.path) or open \(try enrolled.enrollment.appLinkUri.href())")

// Poll every 1.5 s. Swift's Task.cancel() does not reach Rust futures, so this uses the
// stream over a WatchHandle: cancelling the iterating task stops the polling.
for try await update in client.statusUpdates(statusToken: enrolled.enrollment.statusToken) {
    print("  poll \(update.poll): \(update.status.statusText)")
}

// Verify on the backend, bound to the user and operation this session started.
let user = try await client.verify(
    statusToken: enrolled.enrollment.statusToken,
    expectedUserId: enrolled.user.userId,
    expectedTransactionId: enrolled.enrollment.transactionId)
print("Verified \(user.userId) (\(user.username ?? "-")), token active: \(user.introspection.active)")
emulator.stop()
