import Foundation

/// Debian's coturn (`turnserver`) as a child process on loopback, with one long-term user:
/// the real relay the relayed-call tests and `kioskd demo --relay` go through.
///
/// `transport` picks the one listener the kiosk may reach it on, so whatever allocation
/// coturn grants came over that transport: `.udp` (UDP and TCP on one port, as before),
/// `.tcp` (`--no-udp`, TCP only), `.tls` (`--no-udp --no-tcp`, TLS on its own port with a
/// throwaway P-256 certificate for IP:127.0.0.1, valid one day; the kiosk trusts that file
/// as its CA). The relayed side is UDP in every case (RFC 8656).
public final class CoturnProcess: @unchecked Sendable {
    public enum Transport: String, Sendable, CaseIterable {
        case udp, tcp, tls
    }

    // @unchecked: the Process is only started and stopped from the owning task.
    private let process = Process()
    public let transport: Transport
    /// The port the kiosk is told (the TLS port for `.tls`).
    public let port: Int
    public let username = "kiosk-test"
    /// Random per run: the relay is open to loopback peers while it runs.
    public let password: String
    public let logFile: String
    /// The server certificate (PEM) of the `.tls` variant: what the kiosk trusts as CA.
    public let certificateFile: String?

    public static let executable = "/usr/bin/turnserver"

    public enum Failure: Error, CustomStringConvertible {
        case missing
        case didNotStart(log: String)
        case certificate(String)

        public var description: String {
            switch self {
            case .missing: "missing \(CoturnProcess.executable) (apt-get install coturn)"
            case .didNotStart(let log): "turnserver did not start listening; see \(log)"
            case .certificate(let why): "cannot make coturn's test certificate: \(why)"
            }
        }
    }

    /// `alternateServer` ("IP:port"): every allocation is answered 300 Try Alternate towards
    /// it (coturn's `--alternate-server`), as a busy member of a relay pool does. `password`
    /// lets a pool share the user (random by default).
    public init(transport: Transport = .udp, alternateServer: String? = nil, password: String = UUID().uuidString) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else { throw Failure.missing }
        self.transport = transport
        self.password = password
        let plainPort = PracticeDevProcess.freePort()
        let tmp = FileManager.default.temporaryDirectory
        logFile = tmp.appendingPathComponent("coturn-\(plainPort).log").path
        let relayPorts = 49_160 + (plainPort % 500) * 20
        var listeners: [String]
        switch transport {
        case .udp:
            port = plainPort
            certificateFile = nil
            listeners = ["--no-tls"]
        case .tcp:
            port = plainPort
            certificateFile = nil
            listeners = ["--no-udp", "--no-tls"]
        case .tls:
            port = PracticeDevProcess.freePort()
            let cert = tmp.appendingPathComponent("coturn-\(plainPort)-cert.pem").path
            let key = tmp.appendingPathComponent("coturn-\(plainPort)-key.pem").path
            try Self.makeCertificate(cert: cert, key: key)
            certificateFile = cert
            listeners = ["--no-udp", "--no-tcp", "--tls-listening-port", String(port), "--cert", cert, "--pkey", key]
        }
        // Its log through stdout, line-buffered by stdbuf: coturn's own log file is written in
        // blocks, so the allocations of a running call would not show yet.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/stdbuf")
        process.arguments = [
            "-oL", Self.executable, "-n", "--no-cli", "--listening-ip", "127.0.0.1", "--relay-ip", "127.0.0.1",
            "--listening-port", String(plainPort), "--min-port", String(relayPorts), "--max-port", String(relayPorts + 19),
            "--lt-cred-mech", "--user", "\(username):\(password)", "--realm", "kiosk.test",
            "--allow-loopback-peers", "--no-dtls", "--no-software-attribute",
            "--pidfile", tmp.appendingPathComponent("coturn-\(plainPort).pid").path,
            "--log-file", "stdout", "--simple-log", "--verbose",
        ] + listeners + (alternateServer.map { ["--alternate-server", $0] } ?? [])
        _ = FileManager.default.createFile(atPath: logFile, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: logFile)
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Every variant has a TCP listener on `port` (UDP shares it), and TCP can be probed.
        guard PracticeDevProcess.waitForListen(port: port, timeout: 10) else {
            stop()
            throw Failure.didNotStart(log: logFile)
        }
    }

    /// A self-signed P-256 certificate for IP:127.0.0.1, valid one day (openssl's CLI).
    static func makeCertificate(cert: String, key: String) throws {
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                             "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                             "-keyout", key, "-out", cert]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        do { try openssl.run() } catch { throw Failure.certificate("\(error)") }
        openssl.waitUntilExit()
        guard openssl.terminationStatus == 0 else { throw Failure.certificate("openssl exited \(openssl.terminationStatus)") }
    }

    /// The server as the practice hands it out: `turn:…?transport=udp`, `turn:…?transport=tcp`
    /// or `turns:…` (RFC 7065).
    public var url: String {
        switch transport {
        case .udp: "turn:127.0.0.1:\(port)?transport=udp"
        case .tcp: "turn:127.0.0.1:\(port)?transport=tcp"
        case .tls: "turns:127.0.0.1:\(port)"
        }
    }

    /// Everything coturn logged so far.
    public var log: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    /// Allocations coturn granted so far (its log's successful ALLOCATE answers).
    public var allocations: Int {
        log.split(separator: "\n").filter { $0.contains("ALLOCATE processed, success") }.count
    }

    /// Connections coturn accepted on a stream listener ("tcp or tls connected to"), the
    /// start-up probe's included.
    public var streamConnections: Int {
        log.split(separator: "\n").filter { $0.contains("tcp or tls connected") }.count
    }

    /// The kinds of listener coturn opened ("UDP", "TCP", "TLS"; its "listener opened" lines):
    /// with only "TCP" or only "TLS", every allocation came over that.
    public var listeners: [String] {
        let kinds = log.split(separator: "\n").compactMap { line -> String? in
            guard let r = line.range(of: " listener opened") else { return nil }
            return line[..<r.lowerBound].split(separator: " ").last.map(String.init)
        }
        return Array(Set(kinds)).sorted()
    }

    /// Allocation sessions coturn opened over TLS: its "new, …, cipher=…, method=TLSv1.x"
    /// lines (a session over TCP or UDP has no cipher).
    public var tlsSessions: Int {
        log.split(separator: "\n").filter { $0.contains(": new, ") && $0.contains("method=TLS") }.count
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
