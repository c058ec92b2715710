// The ready-made log sinks: records arrive, filtered by level, without secrets. (The
// os.Logger sink exists only on Apple platforms and is not compiled here.)

import Foundation
import XCTest

@testable import AuthCloud

/// Records collected by a closure sink (called from any thread).
final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var _records: [LogRecord] = []
    var records: [LogRecord] { lock.withLock { _records } }
    func add(_ record: LogRecord) { lock.withLock { _records.append(record) } }

    /// Waits (up to 5 s) until a record satisfies `found`.
    @discardableResult
    func waitFor(_ found: (LogRecord) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if records.contains(where: found) { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return false
    }
}

func isEnrollResponse(_ record: LogRecord) -> Bool {
    record.target == "authcloud::http" && record.message.contains("operation=enroll")
}

final class LogSinkTests: XCTestCase {
    override func tearDown() {
        clearLogSink()
        super.tearDown()
    }

    func testClosureSinkReceivesSecretFreeRecords() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let collected = Collected()
        setLogSink(sink: ClosureLogSink { collected.add($0) }, maxLevel: .trace)
        let client = try Client(config: config(emulator))
        let enrolled = try client.enroll(username: "closure-logged")
        _ = try client.status(statusToken: enrolled.enrollment.statusToken)
        XCTAssertTrue(collected.waitFor { isEnrollResponse($0) && $0.message.contains("status=201") })
        XCTAssertTrue(collected.waitFor { $0.target == "authcloud::http" && $0.message.contains("operation=status") })
        let secrets = [emulator.accessKey().reveal(), enrolled.enrollment.statusToken.reveal()]
        for record in collected.records {
            for secret in secrets { XCTAssertFalse(record.message.contains(secret), "\(record)") }
        }
    }

    func testTheSinksLevelFiltersRecords() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let collected = Collected()
        // The SDK sends everything; the sink keeps info and more severe.
        setLogSink(sink: ClosureLogSink(maxLevel: .info) { collected.add($0) }, maxLevel: .trace)
        let client = try Client(config: config(emulator))
        let enrolled = try client.enroll(username: "filtered")  // debug: authcloud::http response
        try emulator.approve(transactionId: enrolled.enrollment.transactionId)
        _ = try client.verify(statusToken: enrolled.enrollment.statusToken)  // info: operation verified
        // A call's records arrive before it returns: the debug ones were handled by now.
        XCTAssertTrue(collected.waitFor { $0.target == "authcloud::verify" && $0.level == .info })
        XCTAssertFalse(collected.records.contains(where: isEnrollResponse), "debug records were kept")
        XCTAssertTrue(collected.records.allSatisfy { LogLevel.info.admits($0.level) })
    }

    func testLevels() {
        XCTAssertTrue(LogLevel.info.admits(.error))
        XCTAssertTrue(LogLevel.info.admits(.warn))
        XCTAssertTrue(LogLevel.info.admits(.info))
        XCTAssertFalse(LogLevel.info.admits(.debug))
        XCTAssertFalse(LogLevel.error.admits(.warn))
        XCTAssertTrue(LogLevel.trace.admits(.trace))
        let record = LogRecord(level: .warn, target: "authcloud::model", message: "username looks like an e-mail address")
        XCTAssertEqual(record.line, "WARN authcloud::model: username looks like an e-mail address")
    }

    func testTextSinkWritesLines() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("authcloud-log-\(UUID().uuidString).txt")
        XCTAssertTrue(FileManager.default.createFile(atPath: path.path, contents: nil))
        defer { try? FileManager.default.removeItem(at: path) }
        let file = try FileHandle(forWritingTo: path)
        defer { try? file.close() }
        setLogSink(sink: TextLogSink(maxLevel: .debug, output: file), maxLevel: .trace)
        let client = try Client(config: config(emulator))
        let enrolled = try client.enroll(username: "text-logged")
        var lines: [String] = []
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            lines = (try String(contentsOf: path, encoding: .utf8)).split(separator: "\n").map(String.init)
            if lines.contains(where: { $0.contains("operation=enroll") }) { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        let enroll = try XCTUnwrap(lines.first { $0.contains("operation=enroll") }, "\(lines)")
        XCTAssertTrue(enroll.hasPrefix("DEBUG authcloud::http: response "), enroll)
        XCTAssertTrue(enroll.contains("status=201"), enroll)
        let secrets = [emulator.accessKey().reveal(), enrolled.enrollment.statusToken.reveal()]
        for line in lines {
            XCTAssertFalse(line.hasPrefix("TRACE"), "above the sink's level: \(line)")
            for secret in secrets { XCTAssertFalse(line.contains(secret), line) }
        }
    }

    func testAFailedWriteIsCountedNotFatal() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("authcloud-ro-\(UUID().uuidString).txt")
        XCTAssertTrue(FileManager.default.createFile(atPath: path.path, contents: nil))
        defer { try? FileManager.default.removeItem(at: path) }
        let readOnly = try FileHandle(forReadingFrom: path)  // write(2) fails with EBADF
        defer { try? readOnly.close() }
        let dropped = droppedLogRecords()
        setLogSink(sink: TextLogSink(output: readOnly), maxLevel: .debug)
        _ = try Client(config: config(emulator)).enroll(username: "unwritable")
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline && droppedLogRecords() == dropped { Thread.sleep(forTimeInterval: 0.02) }
        XCTAssertGreaterThan(droppedLogRecords(), dropped)
    }

    func testSetLogSinkWithAClosure() throws {
        let emulator = try Emulator.start()
        defer { emulator.stop() }
        let collected = Collected()
        setLogSink(maxLevel: .debug) { collected.add($0) }
        let client = try Client(config: config(emulator))
        _ = try client.enroll(username: "closure")
        XCTAssertTrue(collected.waitFor(isEnrollResponse))
    }
}
