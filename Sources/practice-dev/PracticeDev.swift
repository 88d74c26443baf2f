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
        abstract: "Reference practice endpoint: signaling relay, appointment book and clinician page.",
        discussion: """
            Without a subcommand, serves (`practice-dev serve --help` lists its options). \
            The security model (roles, sign-in, CSRF, kiosk tokens, TURN credentials) is in docs/practice-api.md.
            """,
        subcommands: [Serve.self, HashPassword.self, NewKioskToken.self],
        defaultSubcommand: Serve.self)
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the relay (/ws), the API (/api) and the clinician page (/).",
        discussion: """
            Production (no --dev): TLS, clinicians and staff sign in with the --users file \
            (roles clinician, frontdesk, admin), kiosks present their own token from the --kiosks file.
            --dev: plain http/ws on loopback only, demo data (kiosk-1 → demo-1 with dr-demo), no sign-in, any kiosk token.
            """)

    @Option(help: "Address to listen on (with --dev: loopback only).") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0 = any free port).") var port = 8080
    @Flag(help: "Development mode on loopback: plain ws/http, demo data (kiosk-1 → demo-1 with dr-demo), no sign-in, any kiosk token.")
    var dev = false
    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain (required without --dev).") var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key (required without --dev).") var tlsKey: String?
    @Option(help: ArgumentHelp("Users who sign in, one a line: ID ROLE PASSWORD-HASH (required without --dev).", valueName: "file"))
    var users: String?
    @Option(help: ArgumentHelp("Enrolled kiosks, one a line: ID sha256:TOKEN-DIGEST (see new-kiosk-token).", valueName: "file"))
    var kiosks: String?
    @Option(name: .customLong("ice-server"), help: "STUN/TURN URL given to clients, optionally URL,USERNAME,CREDENTIAL (repeatable).")
    var iceServers: [String] = []
    @Option(name: .customLong("turn-url"), help: "TURN URL for time-limited credentials, e.g. turn:turn.example:3478?transport=udp (repeatable).")
    var turnURLs: [String] = []
    @Option(name: .customLong("turn-secret-file"), help: "File holding the TURN server's shared secret (coturn static-auth-secret).")
    var turnSecretFile: String?
    @Option(name: .customLong("turn-ttl"), help: "Seconds a TURN credential is valid (60...604800).") var turnTTL = 86_400
    @Option(help: "Heartbeat interval told to clients, in milliseconds.") var heartbeatMs = 15_000
    @Option(help: "Seconds a dropped session keeps its place in the room.") var grace: Double = 30
    @Option(name: .customLong("public-dir"), help: "Serve the clinician page from this folder instead of the bundled one.")
    var publicDir: String?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error, critical.") var logLevel = "info"

    func validate() throws {
        if (tlsCert == nil) != (tlsKey == nil) {
            throw ValidationError(PracticeServerError.tlsNeedsCertificateAndKey.description)
        }
        do {
            try LaunchChecks.check(dev: dev, host: host, tls: tlsCert != nil, users: users != nil)
        } catch {
            throw ValidationError(error.description)
        }
        guard (1_000...600_000).contains(heartbeatMs) else { throw ValidationError("--heartbeat-ms must be 1000...600000") }
        if turnURLs.isEmpty != (turnSecretFile == nil) {
            throw ValidationError("--turn-url and --turn-secret-file go together")
        }
        guard (60...604_800).contains(turnTTL) else { throw ValidationError("--turn-ttl must be 60...604800 seconds") }
    }

    func run() async throws {
        var logger = Logger(label: "practice-dev")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info

        var options = PracticeServer.Options()
        options.host = host
        options.port = port
        options.tlsCertificate = tlsCert
        options.tlsKey = tlsKey
        options.publicDirectory = publicDir
        options.relay.dev = dev
        options.relay.heartbeatIntervalMs = heartbeatMs
        options.relay.grace = grace
        if let users {
            options.users = try CredentialsFile.users(try CredentialsFile.read(users), file: users)
        }
        if let kiosks {
            options.relay.kioskTokens = try CredentialsFile.kiosks(try CredentialsFile.read(kiosks), file: kiosks)
        } else if !dev {
            logger.warning("no --kiosks file: no kiosk can connect")
        }
        options.relay.iceServers = iceServers.map { spec in
            let parts = spec.split(separator: ",", maxSplits: 2).map(String.init)
            return SignalingICEServer(urls: [parts.first ?? spec], username: parts.count > 1 ? parts[1] : nil,
                                      credential: parts.count > 2 ? parts[2] : nil)
        }
        if let turnSecretFile {
            let secret = try CredentialsFile.read(turnSecretFile).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !secret.isEmpty else { throw ValidationError("\(turnSecretFile): the TURN secret is empty") }
            options.relay.turn = TURNCredentials(urls: turnURLs, secret: secret, ttl: turnTTL)
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
}

/// Makes a line for the users file without the password reaching the command line (and so
/// `ps` or the shell's history): it is read from standard input.
struct HashPassword: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read a password from standard input and print its PBKDF2-HMAC-SHA256 hash for the --users file.",
        discussion: "Example: printf %s \"$PW\" | practice-dev hash-password  →  $pbkdf2-sha256$210000$SALT$HASH")

    @Option(help: "PBKDF2 iterations (at least 210000).") var iterations = PasswordHash.defaultIterations

    func validate() throws {
        guard iterations >= PasswordHash.defaultIterations else { throw ValidationError("--iterations must be at least 210000") }
    }

    func run() throws {
        let input = FileHandle.standardInput.readDataToEndOfFile()
        var password = String(decoding: input, as: UTF8.self)
        // One trailing newline is the terminal's or echo's, not the password's.
        if password.hasSuffix("\n") { password.removeLast() }
        if password.hasSuffix("\r") { password.removeLast() }
        guard password.count >= 8 else { throw ValidationError("the password must be at least 8 characters") }
        print(try PasswordHash.make(password, iterations: iterations))
    }
}

struct NewKioskToken: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new-kiosk-token",
        abstract: "Make a random token for one kiosk: prints the token (for the kiosk) and its --kiosks file line.")

    @Argument(help: "The kiosk's id.") var kioskId: String

    func validate() throws {
        guard KioskCredentials.isValidKioskId(kioskId) else { throw ValidationError("a kiosk id is 1-128 characters of A-Z a-z 0-9 . _ : -") }
    }

    func run() throws {
        let token = KioskCredentials.newToken()
        print(token)
        print("\(kioskId) \(KioskCredentials.fileEntry(forToken: token))")
    }
}
