import Foundation

/// Debian's coturn (`turnserver`) as a child process on loopback, with one long-term user:
/// the real relay the relayed-call tests and `kioskd demo --relay` go through.
public final class CoturnProcess: @unchecked Sendable {
    // @unchecked: the Process is only started and stopped from the owning task.
    private let process = Process()
    public let port: Int
    public let username = "kiosk-test"
    /// Random per run: the relay is open to loopback peers while it runs.
    public let password = UUID().uuidString
    public let logFile: String

    public static let executable = "/usr/bin/turnserver"

    public enum Failure: Error, CustomStringConvertible {
        case missing
        case didNotStart(log: String)

        public var description: String {
            switch self {
            case .missing: "missing \(CoturnProcess.executable) (apt-get install coturn)"
            case .didNotStart(let log): "turnserver did not start listening; see \(log)"
            }
        }
    }

    public init() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else { throw Failure.missing }
        port = PracticeDevProcess.freePort()
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("coturn-\(port).log").path
        let relayPorts = 49_160 + (port % 500) * 20
        // Its log through stdout, line-buffered by stdbuf: coturn's own log file is written in
        // blocks, so the allocations of a running call would not show yet.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/stdbuf")
        process.arguments = [
            "-oL", Self.executable, "-n", "--no-cli", "--listening-ip", "127.0.0.1", "--relay-ip", "127.0.0.1",
            "--listening-port", String(port), "--min-port", String(relayPorts), "--max-port", String(relayPorts + 19),
            "--lt-cred-mech", "--user", "\(username):\(password)", "--realm", "kiosk.test",
            "--allow-loopback-peers", "--no-tls", "--no-dtls", "--no-software-attribute",
            "--pidfile", FileManager.default.temporaryDirectory.appendingPathComponent("coturn-\(port).pid").path,
            "--log-file", "stdout", "--simple-log", "--verbose",
        ]
        _ = FileManager.default.createFile(atPath: logFile, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: logFile)
        process.standardError = FileHandle.nullDevice
        try process.run()
        // coturn listens on TCP and UDP at the same port; TCP is the one that can be probed.
        guard PracticeDevProcess.waitForListen(port: port, timeout: 10) else {
            stop()
            throw Failure.didNotStart(log: logFile)
        }
    }

    /// The server as the practice hands it out: `turn:127.0.0.1:PORT?transport=udp`.
    public var url: String { "turn:127.0.0.1:\(port)?transport=udp" }

    /// Allocations coturn granted so far (its log's successful ALLOCATE answers).
    public var allocations: Int {
        let log = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
        return log.split(separator: "\n").filter { $0.contains("ALLOCATE processed, success") }.count
    }

    /// SIGTERM, then SIGKILL after 2 s: coturn can take far longer to wind down its relays.
    public func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(2)
        while process.isRunning, Date() < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }
}
