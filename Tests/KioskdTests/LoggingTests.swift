import Foundation
import Logging
import Testing
@testable import KioskCore

@Suite struct LoggingTests {
    final class Capture: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func append(_ s: String) { lock.lock(); lines.append(s); lock.unlock() }
        var text: String { lock.lock(); defer { lock.unlock() }; return lines.joined() }
    }

    func logger(_ capture: Capture, journald: Bool = false) -> Logger {
        Logger(label: "kioskd") { label in
            JournalLogHandler(label: label, level: .trace, underJournald: journald) { capture.append($0) }
        }
    }

    @Test func redactedNeverPrintsItsValue() {
        let capture = Capture()
        let log = logger(capture)
        let name = Redacted("Margaret Example")
        log.info("patient joined \(name)", metadata: ["patient": "\(name)", "debug": "\(String(reflecting: name))", "dump": "\(Mirror(reflecting: name).children.count)"])
        #expect(!capture.text.contains("Margaret"))
        #expect(capture.text.contains("<redacted>"))
        #expect(name.value == "Margaret Example")
    }

    @Test(arguments: [
        "peer at 192.168.1.20:5000 connected",
        "candidate 10.0.2.15 srflx",
        "host fe80::1c2d:3eff:fe4f:5a6b on eth0",
        "loopback ::1 and 2001:db8:0:0:0:0:0:1",
    ])
    func ipAddressesNeverReachALogLine(line: String) {
        let capture = Capture()
        logger(capture).notice("\(line)")
        let out = capture.text
        for forbidden in ["192.168.1.20", "10.0.2.15", "fe80::1c2d", "2001:db8", " ::1 "] {
            #expect(!out.contains(forbidden), "\(out)")
        }
        #expect(out.contains("<ip>"))
    }

    @Test func versionsAndTimesAreNotMistakenForAddresses() {
        #expect(LogScrubber.scrub("kioskd 0.1.0 at 12:30 took 1.5 s") == "kioskd 0.1.0 at 12:30 took 1.5 s")
    }

    @Test func journaldFormatHasPriorityPrefix() {
        let capture = Capture()
        logger(capture, journald: true).warning("camera lost", metadata: ["camera": "usb-1"])
        #expect(capture.text == "<4>kioskd: camera lost camera=usb-1\n")
    }
}
