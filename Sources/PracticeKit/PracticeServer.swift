import Foundation
import Hummingbird
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import Signaling

/// Builds and runs the practice endpoint: `/ws` (signaling), `/api/...` (appointment book),
/// `/` (the clinician's page).
public struct PracticeServer {
    public struct Options: Sendable {
        public var host = "127.0.0.1"
        public var port = 8080
        public var relay = Relay.Settings()
        /// Who may sign in outside dev mode (the users file); unused in dev mode.
        public var users: [PracticeUser] = []
        /// PEM files; both or neither.
        public var tlsCertificate: String?
        public var tlsKey: String?
        /// The clinician page's folder; nil = the bundled `Public` resources.
        public var publicDirectory: String?
        /// How often a signed-in clinician's WebSocket checks that its session still lives.
        public var sessionCheckInterval: Duration = .seconds(5)

        public init(host: String = "127.0.0.1", port: Int = 8080, relay: Relay.Settings = Relay.Settings(), users: [PracticeUser] = [],
                    tlsCertificate: String? = nil, tlsKey: String? = nil, publicDirectory: String? = nil) {
            self.host = host
            self.port = port
            self.relay = relay
            self.users = users
            self.tlsCertificate = tlsCertificate
            self.tlsKey = tlsKey
            self.publicDirectory = publicDirectory
        }
    }

    let options: Options
    let hub: PracticeHub
    let logger: Logger
    /// nil in dev mode: no sign-in, everything open (loopback only, checked by the command line).
    let auth: PracticeAuth?

    public init(options: Options, book: AppointmentBook, logger: Logger, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.init(options: options, book: book, logger: logger, authPolicy: PracticeAuth.Policy(), clock: clock)
    }

    init(options: Options, book: AppointmentBook, logger: Logger, authPolicy: PracticeAuth.Policy,
         clock: @escaping @Sendable () -> Date = { Date() }) {
        self.options = options
        self.logger = logger
        self.hub = PracticeHub(relay: Relay(settings: options.relay, book: book), logger: logger, clock: clock)
        self.auth = options.relay.dev ? nil : PracticeAuth(users: options.users, policy: authPolicy, clock: clock)
    }

    /// Runs until cancelled or (with signals) SIGTERM/SIGINT. `onListening` gets the bound port.
    /// `handleSignals: false` for in-process tests (stop them by cancelling the task).
    public func run(handleSignals: Bool = true,
                    onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let app = try makeApplication(onListening: onListening)
        let hub = self.hub
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                if handleSignals { try await app.runService() } else { try await app.runService(gracefulShutdownSignals: []) }
            }
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: .seconds(1))
                    await hub.tick()
                }
            }
            // The server returning (shutdown) ends the ticker too.
            try await group.next()
            group.cancelAll()
        }
    }

    private func makeTLSConfiguration() throws -> TLSConfiguration? {
        switch (options.tlsCertificate, options.tlsKey) {
        case (let cert?, let key?):
            let chain = try NIOSSLCertificate.fromPEMFile(cert)
            let privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
            return TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                            privateKey: .privateKey(privateKey))
        case (nil, nil):
            return nil
        default:
            throw PracticeServerError.tlsNeedsCertificateAndKey
        }
    }

    func makeApplication(onListening: @escaping @Sendable (Int) async -> Void) throws -> some ApplicationProtocol {
        let hub = self.hub
        let router = Router(context: BasicWebSocketRequestContext.self)
        // First, so it also wraps the file middleware and the router's "no such route".
        router.middlewares.add(APIErrorMiddleware())
        let publicDir = options.publicDirectory ?? PracticePublicFiles.bundledDirectory()
        if let publicDir {
            router.middlewares.add(FileMiddleware(publicDir, searchForIndexHtml: true, logger: logger))
        } else {
            logger.warning("clinician page not found; pass --public-dir")
        }
        let access = AccessControl(auth: auth)
        let auth = self.auth, checkInterval = options.sessionCheckInterval
        PracticeAPI(hub: hub, access: access).register(on: router)
        router.get("/healthz") { _, _ in "ok" }

        router.ws("/ws") { _, _ in
            .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            let clinician = context.request.uri.queryParameters["clinician"].map(String.init)
            let signedIn = access.webSocketClinician(context.request)
            let sessionCookie = signedIn == nil ? nil : AccessControl.cookie(in: context.request)
            let (id, commands) = await hub.open(clinicianFromURL: clinician, signedInClinician: signedIn)
            do {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await command in commands {
                            switch command {
                            case .text(let text): try await outbound.write(.text(text))
                            case .close:
                                try await outbound.close(.policyViolation, reason: nil)
                                return
                            }
                        }
                    }
                    if let sessionCookie, let auth {
                        // A signed-in clinician's signaling lasts as long as the session (signing
                        // out and removing the user close it at once, through the hub; this
                        // catches the session's end). An open page is in use, so each check also
                        // counts as activity: the idle timeout runs from when the page closes,
                        // the absolute lifetime (12 h) ends the signaling too.
                        group.addTask {
                            while true {
                                try? await Task.sleep(for: checkInterval)
                                if Task.isCancelled { return }
                                if auth.session(cookie: sessionCookie) == nil {
                                    try await outbound.close(.policyViolation, reason: "signed out")
                                    return
                                }
                            }
                        }
                    }
                    // Larger than the protocol's limit so an oversized message gets a `too-large` reply.
                    for try await message in inbound.messages(maxSize: 2 * SignalingEnvelope.maximumLength) {
                        switch message {
                        case .text(let text): await hub.received(id, text: text)
                        case .binary: await hub.receivedBinary(id)
                        }
                    }
                    group.cancelAll()
                }
            } catch {
                context.logger.debug("websocket ended with an error", metadata: ["conn": "\(id)"])
            }
            await hub.closed(id)
        }

        let wsConfiguration = HTTP1WebSocketUpgradeChannel.Configuration(
            ws: .init(maxFrameSize: 2 * SignalingEnvelope.maximumLength))
        let tls = try makeTLSConfiguration()
        // Hummingbird's own info lines name the listening address and request paths (which
        // carry clinician names): keep the framework at notice or above.
        var frameworkLogger = logger
        frameworkLogger.logLevel = max(logger.logLevel, .notice)
        return Application(
            router: router,
            server: tls == nil
                ? .http1WebSocketUpgrade(webSocketRouter: router, configuration: wsConfiguration)
                : try .tls(.http1WebSocketUpgrade(webSocketRouter: router, configuration: wsConfiguration),
                           tlsConfiguration: tls ?? .makeClientConfiguration()),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "practice-dev"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: frameworkLogger)
    }
}

public enum PracticeServerError: Error, Equatable, CustomStringConvertible {
    case tlsNeedsCertificateAndKey
    case tlsRequired
    case usersRequired
    case devNeedsLoopback(String)

    public var description: String {
        switch self {
        case .tlsNeedsCertificateAndKey: return "--tls-cert and --tls-key go together"
        case .tlsRequired: return "without --dev, practice-dev serves TLS only: pass --tls-cert and --tls-key"
        case .usersRequired: return "without --dev, clinicians sign in: pass --users FILE (see practice-dev hash-password)"
        case .devNeedsLoopback(let host):
            return "--dev has no sign-in and accepts any kiosk, so it listens on loopback only (127.0.0.1, ::1, localhost), not \(host)"
        }
    }
}

/// Finds the bundled clinician page (PracticeKit's `Public/`, copied by SwiftPM into
/// `<package>_PracticeKit.resources` next to every binary that links PracticeKit) without
/// `Bundle.module`, which traps when the bundle is missing.
enum PracticePublicFiles {
    static func bundledDirectory() -> String? {
        let fm = FileManager.default
        let exe = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
        var candidates = [exe.deletingLastPathComponent(), Bundle.main.bundleURL]
        // A test binary lives in `<bin>/X.xctest` or deeper: also look up a couple of levels.
        candidates.append(exe.deletingLastPathComponent().deletingLastPathComponent())
        for dir in candidates {
            guard let names = try? fm.contentsOfDirectory(atPath: dir.path) else { continue }
            for name in names.sorted() where name.hasSuffix("_PracticeKit.resources") {
                let path = dir.appendingPathComponent(name).appendingPathComponent("Public").path
                if fm.fileExists(atPath: path + "/index.html") { return path }
            }
        }
        return nil
    }
}
