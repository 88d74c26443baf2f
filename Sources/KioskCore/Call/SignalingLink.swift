import Logging
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
    private let logger: Logger
    private var outgoing: AsyncStream<String>.Continuation?
    private var connection: Task<Void, Never>?
    private var timer: Task<Void, Never>?
    private let eventSink: AsyncStream<SignalingClient.Event>.Continuation
    nonisolated let events: AsyncStream<SignalingClient.Event>

    public init(url: String, hello: SignalingHello, logger: Logger) {
        var configuration = SignalingClient.Configuration(hello: hello)
        configuration.jitterSeed = UInt64.random(in: 1...UInt64.max)
        client = SignalingClient(configuration: configuration)
        self.url = url
        self.logger = logger
        (events, eventSink) = AsyncStream<SignalingClient.Event>.makeStream()
    }

    func start() { feed(.start) }

    func stop() {
        feed(.stop)
        connection?.cancel()
        timer?.cancel()
        eventSink.finish()
    }

    func send(_ intent: SignalingClient.Intent) { feed(.intent(intent)) }

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
                connection?.cancel()
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
        let url = self.url
        let logger = self.logger
        let link = UncheckedSendable(WeakLink(self))
        connection = Task {
            do {
                try await WebSocketClient.connect(url: url, logger: logger) { inbound, outbound, _ in
                    let (texts, sink) = AsyncStream<String>.makeStream()
                    await link.value.link?.attached(sink)
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for await text in texts { try await outbound.write(.text(text)) }
                        }
                        for try await message in inbound.messages(maxSize: 1 << 17) {
                            if case .text(let text) = message { await link.value.link?.received(text) }
                        }
                        group.cancelAll()
                    }
                }
            } catch {
                logger.info("signaling connection ended", metadata: ["reason": "\(type(of: error))"])
            }
            await link.value.link?.detached()
        }
    }
}

/// A weak reference the connection task can hold without keeping the link alive.
struct WeakLink {
    weak var link: SignalingLink?
    init(_ link: SignalingLink) { self.link = link }
}
