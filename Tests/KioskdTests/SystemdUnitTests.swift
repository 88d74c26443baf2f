import Foundation
import Testing

/// The unit file must load cleanly in systemd and stay hardened (exposure ≤ 2.0).
@Suite struct SystemdUnitTests {
    /// A copy of systemd/kioskd.service whose ExecStart names the binary just built,
    /// since `systemd-analyze verify` checks that the executable exists.
    func unitCopy() throws -> String {
        let source = KioskdProcess.repoRoot.appendingPathComponent("systemd/kioskd.service")
        let text = try String(contentsOf: source, encoding: .utf8)
            .replacingOccurrences(of: "/usr/bin/kioskd", with: KioskdProcess.binary.path)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("unit-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("kioskd.service").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func analyze(_ arguments: [String]) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-analyze")
        p.arguments = arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func verifyPasses() throws {
        let (status, output) = try analyze(["verify", try unitCopy()])
        #expect(status == 0, "\(output)")
        #expect(!output.contains("kioskd.service:"), "warnings about the unit: \(output)")
    }

    @Test func securityExposureAtMostTwo() throws {
        let (_, output) = try analyze(["security", "--offline=true", try unitCopy()])
        let line = try #require(output.split(separator: "\n").first { $0.contains("Overall exposure level") })
        let number = line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) }
        let exposure = try #require(number, "\(line)")
        #expect(exposure <= 2.0, "\(line)")
    }

    @Test func unitIsNotifyWithWatchdogAndDedicatedUser() throws {
        let text = try String(contentsOf: KioskdProcess.repoRoot.appendingPathComponent("systemd/kioskd.service"), encoding: .utf8)
        for needed in ["Type=notify", "WatchdogSec=", "Restart=on-failure", "NoNewPrivileges=yes", "ProtectSystem=strict",
                       "ProtectHome=yes", "PrivateTmp=yes", "DevicePolicy=closed", "RestrictAddressFamilies=", "SystemCallFilter=",
                       "User=kioskd", "StateDirectory=kioskd"] {
            #expect(text.contains(needed), "missing \(needed)")
        }
        let sysusers = try String(contentsOf: KioskdProcess.repoRoot.appendingPathComponent("systemd/kioskd.sysusers"), encoding: .utf8)
        #expect(sysusers.contains("u kioskd"))
    }
}
