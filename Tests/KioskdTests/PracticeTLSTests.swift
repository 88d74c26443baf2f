import DevTools
import Foundation
import Logging
import Synchronization
import Testing
@testable import KioskCore
import Signaling

/// wss:// to a practice whose certificate comes from a private CA: trusted only through
/// `practice.ca_file`, and each TLS failure logged with its reason. The server is OpenSSL's
/// own `s_server -www` (real TLS; it answers HTTP with a status page, not a WebSocket upgrade,
/// so a trusted handshake ends in a failed upgrade, which is not a TLS reason).
@Suite(.serialized) struct PracticeTLSTests {
    /// A CA, and a leaf for `name` signed by it, in a fresh folder.
    static func makeCertificates(name: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try "subjectAltName=DNS:\(name)\n".write(to: dir.appendingPathComponent("ext.cnf"), atomically: true, encoding: .utf8)
        let steps = [
            "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=Clinic-CA",
            "req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -out leaf.csr -subj /CN=\(name)",
            "x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out leaf.pem -days 2 -extfile ext.cnf",
        ]
        for step in steps {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            p.arguments = step.split(separator: " ").map(String.init)
            p.currentDirectoryURL = dir
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            try #require(p.terminationStatus == 0, "openssl \(step)")
        }
        return dir
    }

    final class Lines: Sendable {
        let all = Mutex<[String]>([])
    }

    /// Connects a `SignalingLink` to an `s_server` presenting `dir`'s leaf and returns the
    /// reason its first connection ended with.
    static func firstFailure(url: String, dir: URL, caFile: String?) async throws -> String {
        let port = PracticeDevProcess.freePort()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        server.arguments = ["s_server", "-accept", "127.0.0.1:\(port)", "-cert", "leaf.pem", "-key", "leaf.key", "-quiet", "-www"]
        server.currentDirectoryURL = dir
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        // SIGKILL: s_server, started from a test thread, inherits a mask that blocks SIGTERM.
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        try #require(PracticeDevProcess.waitForListen(port: port, timeout: 10))
        let lines = Lines()
        var logger = Logger(label: "tls") { label in
            JournalLogHandler(label: label, level: .trace, underJournald: false) { line in lines.all.withLock { $0.append(line) } }
        }
        logger.logLevel = .trace
        let link = SignalingLink(url: url.replacingOccurrences(of: "PORT", with: "\(port)"),
                                 hello: SignalingHello(role: .kiosk, kioskId: "kiosk-1", token: "t", software: "kioskd-test"), caFile: caFile, logger: logger)
        await link.start()
        // Generous: on a loaded 2-core machine a handshake can wait seconds for a thread.
        let deadline = ContinuousClock.now + .seconds(45)
        while ContinuousClock.now < deadline {
            if let line = lines.all.withLock({ $0.first { $0.contains("signaling connection ended") } }) {
                await link.stop()
                return line
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        await link.stop()
        Issue.record("no connection attempt ended within 45 s")
        return ""
    }

    @Test func aPrivateCAIsTrustedOnlyThroughCAFileAndFailuresSayWhy() async throws {
        let dir = try Self.makeCertificates(name: "localhost")
        defer { try? FileManager.default.removeItem(at: dir) }
        let ca = dir.appendingPathComponent("ca.pem").path
        // Without the CA: refused, and the log says why.
        let untrusted = try await Self.firstFailure(url: "wss://localhost:PORT/ws", dir: dir, caFile: nil)
        #expect(untrusted.contains("the practice's certificate is not trusted"), "\(untrusted)")
        // With it: TLS succeeds (what ends the connection is s_server not speaking WebSocket).
        let trusted = try await Self.firstFailure(url: "wss://localhost:PORT/ws", dir: dir, caFile: ca)
        #expect(!trusted.contains("TLS:"), "\(trusted)")
        // Trusted CA, wrong name: said so.
        let other = try Self.makeCertificates(name: "practice.example")
        defer { try? FileManager.default.removeItem(at: other) }
        let mismatch = try await Self.firstFailure(url: "wss://localhost:PORT/ws", dir: other,
                                                   caFile: other.appendingPathComponent("ca.pem").path)
        #expect(mismatch.contains("does not name this host"), "\(mismatch)")
        // No address in any of it.
        for line in [untrusted, trusted, mismatch] { #expect(!line.contains("127.0.0.1"), "\(line)") }
    }
}
