import Logging
import NIOSSL
import SessionCore
import SessionDriver
import Signaling
import WSClient

/// The I/O half of signaling: runs the sans-IO `SignalingClient` against a real WebSocket
/// (swift-websocket), feeding it connects, text frames, drops and timer expiries, and
/// performing what it asks (connect, send, close). Events come out of `events` in order.
public actor SignalingLink {
    private var client: SignalingClient
    private let url: String
    private let tls: TLSConfiguration?
    private let logger: Logger
    private var outgoing: AsyncStream<String>.Continuation?
    private var connection: Task<Void, Never>?
    private var timer: Task<Void, Never>?
    /// Set by `stop`: the close is graceful (the writer drains, then closes the WebSocket).
    private var stopping = false
    private let eventSink: AsyncStream<SignalingClient.Event>.Continuation
    nonisolated let events: AsyncStream<SignalingClient.Event>

    /// - Parameter caFile: PEM CA certificates trusted for `wss://` besides the system's
    ///   (`practice.ca_file`).
    public init(url: String, hello: SignalingHello, caFile: String? = nil, logger: Logger) {
        var configuration = SignalingClient.Configuration(hello: hello)
        configuration.jitterSeed = UInt64.random(in: 1...UInt64.max)
        client = SignalingClient(configuration: configuration)
        self.url = url
        if url.hasPrefix("wss://") {
            var tls = TLSConfiguration.makeClientConfiguration()
            if let caFile, !caFile.isEmpty { tls.additionalTrustRoots = [.file(caFile)] }
            self.tls = tls
        } else {
            tls = nil
        }
        self.logger = logger
        (events, eventSink) = AsyncStream<SignalingClient.Event>.makeStream()
    }

    func start() { feed(.start) }

    /// Closes for good. What was sent before is still written and the WebSocket closed
    /// properly (so the endpoint sees a `leave` and a close, not a dropped connection), unless
    /// that takes longer than `closeTimeout`.
    func stop(closeTimeout: Duration = .milliseconds(700)) async {
        stopping = true
        feed(.stop)
        timer?.cancel()
        if let connection {
            let deadline = Task { try? await Task.sleep(for: closeTimeout); connection.cancel() }
            await connection.value
            deadline.cancel()
        }
        eventSink.finish()
    }

    func send(_ intent: SignalingClient.Intent) { feed(.intent(intent)) }

    /// The host's addresses changed: probe the connection, replace it at once if it is dead.
    func networkChanged() {
        logger.info("network changed; probing the signaling connection")
        feed(.networkChanged)
    }

    /// Skips the back-off wait after a failure (a "Try again" tap); no effect while connected.
    func reconnectNow() {
        guard case .disconnected(let retryAt) = client.state, retryAt != nil else { return }
        feed(.stop)
        feed(.start)
    }

    private func feed(_ input: SignalingClient.Input) {
        client.handle(input, at: MonotonicClock.now())
        while let output = client.poll() {
            switch output {
            case .connect:
                connect()
            case .send(let text):
                outgoing?.yield(text)
            case .close:
                outgoing?.finish()
                if !stopping { connection?.cancel() }
            case .event(let event):
                eventSink.yield(event)
            case .timeout(let deadline):
                // The drain's last output (then nil): nothing after it until the next input.
                if deadline == .never { timer?.cancel() } else { schedule(deadline) }
                return
            }
        }
    }

    private func schedule(_ deadline: Instant) {
        timer?.cancel()
        let delay = deadline - MonotonicClock.now()
        timer = Task { [weak self] in
            if delay > .zero {
                do { try await Task.sleep(for: delay) } catch { return }
            }
            await self?.feed(.timeout)
        }
    }

    private func attached(_ sink: AsyncStream<String>.Continuation) {
        outgoing = sink
        feed(.connected)
    }

    private func received(_ text: String) { feed(.received(text)) }

    private func detached() {
        outgoing = nil
        feed(.disconnected)
    }

    private func connect() {
        connection?.cancel()
        let url = self.url, tls = self.tls
        let logger = self.logger
        let link = UncheckedSendable(WeakLink(self))
        // Frames up to 128 KiB: a message of the documented 64 KiB must not be cut off by the
        // WebSocket layer's 16 KiB default; the decoder refuses larger ones with a reason.
        let configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 17)
        // Detached: the WebSocket client closes itself on ServiceLifecycle's graceful shutdown,
        // which it would find in our task-locals, before the kiosk's `leave` could go out;
        // `stop` closes it instead, after that.
        connection = Task.detached {
            do {
                try await WebSocketClient.connect(url: url, configuration: configuration, tlsConfiguration: tls,
                                                  logger: logger) { inbound, outbound, _ in
                    let (texts, sink) = AsyncStream<String>.makeStream()
                    await link.value.link?.attached(sink)
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for await text in texts { try await outbound.write(.text(text)) }
                            // The link finished the stream: it is closing (stop, or a dead or
                            // refused connection, which is cancelled anyway).
                            try await outbound.close(.normalClosure, reason: nil)
                        }
                        for try await message in inbound.messages(maxSize: 1 << 17) {
                            if case .text(let text) = message { await link.value.link?.received(text) }
                        }
                        group.cancelAll()
                    }
                }
            } catch {
                logger.info("signaling connection ended", metadata: ["reason": "\(Self.reason(for: error))"])
            }
            await link.value.link?.detached()
        }
    }
}

extension SignalingLink {
    /// Why a connection failed, in words for IT, from the error's own text: TLS reasons named,
    /// everything else by type only (NIO's connect errors carry the address, which the log
    /// must not).
    nonisolated static func reason(for error: any Error) -> String {
        let text = String(describing: error)
        let tls: [(String, String)] = [
            ("CERTIFICATE_VERIFY_FAILED", "TLS: the practice's certificate is not trusted (unknown CA, expired or not yet valid; see practice.ca_file)"),
            ("failedToValidateHostname", "TLS: the practice's certificate does not name this host"),
            ("WRONG_VERSION_NUMBER", "TLS: the server did not answer with TLS (wss:// to a plain port?)"),
            ("uncleanShutdown", "TLS: the server closed the connection mid-handshake"),
        ]
        for (marker, reason) in tls where text.contains(marker) { return reason }
        if text.contains("connectTimeout") { return "timed out connecting" }
        if text.contains("connection refused") || text.contains("Connection refused") { return "connection refused" }
        return "\(type(of: error))"
    }
}

/// A weak reference the connection task can hold without keeping the link alive.
struct WeakLink {
    weak var link: SignalingLink?
    init(_ link: SignalingLink) { self.link = link }
}
