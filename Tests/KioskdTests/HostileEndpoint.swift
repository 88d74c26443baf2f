import Codecs
import DTLS
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import Media
import SessionCore
import SessionDriver
import SessionPeer
import Signaling
import Synchronization

/// A practice endpoint that does whatever the test says, at any time: it welcomes the kiosk's
/// `hello`, answers `ping`, records everything the kiosk sends and sends the kiosk any message
/// (offers before the patient joined, rooms of other appointments). A real WebSocket server
/// (Hummingbird), so the kiosk under test is the real `kioskd run` binary.
final class HostileEndpoint: Sendable {
    private struct State {
        var received: [SignalingEnvelope] = []
        var sink: AsyncStream<String>.Continuation?
        var nextId = 0
    }

    private let state = Locked(State())
    private let server: Task<Void, any Error>
    let port: Int

    var signalingURL: String { "ws://127.0.0.1:\(port)/ws" }

    init() async throws {
        let state = self.state
        let (ports, portSink) = AsyncStream<Int>.makeStream()
        let router = Router(context: BasicWebSocketRequestContext.self)
        router.ws("/ws") { _, _ in .upgrade([:]) } onUpgrade: { inbound, outbound, _ in
            let (texts, sink) = AsyncStream<String>.makeStream()
            state.withLock { $0.sink = sink }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await text in texts { try await outbound.write(.text(text)) }
                }
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message, let envelope = try? SignalingEnvelope.decode(text) else { continue }
                    switch envelope.message {
                    case .hello:
                        sink.yield(SignalingEnvelope(.welcome(SignalingWelcome(sessionId: "hostile-1", heartbeatIntervalMs: 15_000,
                                                                                iceServers: []))).text)
                    case .ping:
                        sink.yield(SignalingEnvelope(.pong, id: envelope.id).text)
                    default:
                        state.withLock { $0.received.append(envelope) }
                    }
                }
                group.cancelAll()
            }
        }
        var logger = Logger(label: "hostile-endpoint")
        logger.logLevel = .warning
        let app = Application(
            router: router,
            server: .http1WebSocketUpgrade(webSocketRouter: router),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "hostile"),
            onServerRunning: { channel in portSink.yield(channel.localAddress?.port ?? 0) },
            logger: logger)
        server = Task { try await app.runService(gracefulShutdownSignals: []) }
        var iterator = ports.makeAsyncIterator()
        port = await iterator.next() ?? 0
    }

    /// Sends one message to the kiosk; returns its `id` (the kiosk's `error` carries it back).
    @discardableResult
    func send(_ message: SignalingMessage) -> String {
        state.withLock { s in
            s.nextId += 1
            let id = "h\(s.nextId)"
            s.sink?.yield(SignalingEnvelope(message, id: id).text)
            return id
        }
    }

    /// Sends raw text frames (valid or not) as fast as the WebSocket takes them.
    func sendRaw(_ texts: [String]) {
        state.withLock { s in for t in texts { s.sink?.yield(t) } }
    }

    var connected: Bool { state.withLock { $0.sink != nil } }
    /// Everything the kiosk sent but hello and ping, in order.
    var received: [SignalingEnvelope] { state.withLock { $0.received } }

    func errors(inReplyTo id: String) -> [SignalingErrorPayload] {
        received.compactMap { if case .error(let e) = $0.message, e.inReplyTo == id { return e } else { return nil } }
    }

    func stop() { server.cancel() }
}

/// The clinician's side of the test: a real engine (Session's `PeerDriver` on loopback UDP)
/// whose offer and candidates go through the hostile endpoint; if the kiosk answered, it would
/// connect and exchange media. It sends an Opus tone so the kiosk has something to play.
final class RoguePeer: Sendable {
    let driver: PeerDriver
    private let candidates = Locked<[String]>([])
    private let audio: Task<Void, Never>

    init() throws {
        let config = PeerConfiguration(localAddresses: [TransportAddress(host: "127.0.0.1", port: 0)!],
                                       seed: UInt64.random(in: 1...UInt64.max))
        let candidates = self.candidates
        driver = try PeerDriver(configuration: config, certificate: DTLSCertificate()) { event in
            if case .localCandidate(let c, _, _) = event { candidates.withLock { $0.append(c) } }
        }
        let driver = self.driver
        audio = Task {
            guard let opus = try? OpusEncoder(channels: 1, bitrate: 32_000) else { return }
            var out: [UInt8] = []
            var timestamp: UInt32 = 0
            var phase = 0.0
            while !Task.isCancelled {
                var samples = [Int16](repeating: 0, count: 960)
                for i in samples.indices {
                    samples[i] = Int16(8000 * sin(phase))
                    phase += 2 * Double.pi * 440 / 48_000
                }
                if let n = try? opus.encode(AudioFrame(samples: samples), into: &out) {
                    driver.submit(.sendAudio(Array(out[0..<n]), rtpTimestamp: timestamp))
                }
                timestamp &+= 960
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    func offer() async -> String {
        await withCheckedContinuation { c in driver.submit(.createOffer { c.resume(returning: $0) }) }
    }

    func stats() async -> PeerStats {
        await withCheckedContinuation { c in driver.submit(.stats { c.resume(returning: $0) }) }
    }

    var localCandidates: [String] { candidates.withLock { $0 } }

    func stop() {
        audio.cancel()
        driver.stop()
    }
}

/// A mutex a closure can capture (a `Mutex` itself cannot be copied into one).
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout sending Value) -> sending R) -> R { mutex.withLock(body) }
}
