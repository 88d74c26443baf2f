import ArgumentParser
import Foundation
import Logging
import PracticeKit
import Signaling

/// `practice-dev`: the reference practice endpoint (signaling relay, appointment book, the
/// clinician's page). For the demo, tests, and practices implementing the protocol. The
/// command line only: the endpoint itself is `PracticeKit`.
@main
struct PracticeDev: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "practice-dev",
        abstract: "Reference practice endpoint: signaling relay, appointment book and clinician page.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0 = any free port).") var port = 8080
    @Flag(help: "Development mode: plain ws/http, demo data (kiosk-1 → demo-1 with dr-demo), any kiosk token accepted.")
    var dev = false
    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain (required without --dev).") var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key (required without --dev).") var tlsKey: String?
    @Option(name: .customLong("kiosk"), help: "An enrolled kiosk as ID=TOKEN (repeatable).") var kiosks: [String] = []
    @Option(name: .customLong("clinician"), help: "A clinician as ID=TOKEN (repeatable).") var clinicians: [String] = []
    @Option(name: .customLong("api-token"), help: "Bearer token for /api without --dev.") var apiToken: String?
    @Option(name: .customLong("ice-server"), help: "STUN/TURN URL given to clients, optionally URL,USERNAME,CREDENTIAL (repeatable).")
    var iceServers: [String] = []
    @Option(help: "Heartbeat interval told to clients, in milliseconds.") var heartbeatMs = 15_000
    @Option(help: "Seconds a dropped session keeps its place in the room.") var grace: Double = 30
    @Option(name: .customLong("public-dir"), help: "Serve the clinician page from this folder instead of the bundled one.")
    var publicDir: String?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error, critical.") var logLevel = "info"

    func validate() throws {
        if !dev, tlsCert == nil || tlsKey == nil {
            throw ValidationError(PracticeServerError.tlsRequired.description)
        }
        if (tlsCert == nil) != (tlsKey == nil) {
            throw ValidationError(PracticeServerError.tlsNeedsCertificateAndKey.description)
        }
        guard (1_000...600_000).contains(heartbeatMs) else { throw ValidationError("--heartbeat-ms must be 1000...600000") }
        for pair in kiosks + clinicians where Self.split(pair) == nil {
            throw ValidationError("expected ID=TOKEN, got an entry without '='")
        }
    }

    func run() async throws {
        var logger = Logger(label: "practice-dev")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info

        var options = PracticeServer.Options()
        options.host = host
        options.port = port
        options.tlsCertificate = tlsCert
        options.tlsKey = tlsKey
        options.apiToken = apiToken
        options.publicDirectory = publicDir
        options.relay.dev = dev
        options.relay.heartbeatIntervalMs = heartbeatMs
        options.relay.grace = grace
        options.relay.kioskTokens = Dictionary(kiosks.compactMap(Self.split), uniquingKeysWith: { $1 })
        options.relay.clinicianTokens = Dictionary(clinicians.compactMap(Self.split), uniquingKeysWith: { $1 })
        options.relay.iceServers = iceServers.map { spec in
            let parts = spec.split(separator: ",", maxSplits: 2).map(String.init)
            return SignalingICEServer(urls: [parts.first ?? spec], username: parts.count > 1 ? parts[1] : nil,
                                      credential: parts.count > 2 ? parts[2] : nil)
        }

        let book = dev ? AppointmentBook.demo(now: Date()) : AppointmentBook()
        let server = PracticeServer(options: options, book: book, logger: logger)
        let scheme = tlsCert == nil ? "http" : "https"
        let dev = self.dev
        try await server.run { [logger] port in
            // The port only: addresses stay out of logs.
            logger.notice("listening", metadata: ["port": "\(port)", "scheme": "\(scheme)", "dev": "\(dev)"])
            if dev {
                logger.notice("demo: open /?clinician=dr-demo&appointment=demo-1 on this port; the demo kiosk is kiosk-1")
            }
        }
    }

    static func split(_ s: String) -> (String, String)? {
        guard let eq = s.firstIndex(of: "="), eq != s.startIndex else { return nil }
        return (String(s[..<eq]), String(s[s.index(after: eq)...]))
    }
}
