import Foundation
import Logging
@testable import PracticeKit
import Signaling
import Synchronization
import Testing

/// Collects every log line (message and metadata) so tests can check what is logged.
final class LogCapture: Sendable {
    let lines = Mutex<[String]>([])

    var all: [String] { lines.withLock { $0 } }

    func logger(level: Logger.Level = .trace) -> Logger {
        var l = Logger(label: "test") { _ in LogCaptureHandler(capture: self) }
        l.logLevel = level
        return l
    }
}

struct LogCaptureHandler: LogHandler {
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let meta = (metadata.merging(event.metadata ?? [:]) { $1 }).sorted { $0.key < $1.key }.map { "\($0)=\($1)" }
        let line = "\(event.level) \(event.message) \(meta.joined(separator: " "))"
        capture.lines.withLock { $0.append(line) }
    }
}

/// The error codes among `messages`, in order.
func errorCodes(_ messages: [SignalingMessage]) -> [SignalingErrorCode] {
    messages.compactMap { m -> SignalingErrorCode? in
        if case .error(let e) = m { return e.code }
        return nil
    }
}

/// A sans-IO harness around `Relay`: connections by number, outputs sorted per connection.
struct RelayHarness {
    var relay: Relay
    var now: Date
    var inbox: [RelayConnectionID: [SignalingEnvelope]] = [:]
    var closed: Set<RelayConnectionID> = []
    var logs: [String] = []

    init(settings: Relay.Settings = Relay.Settings(dev: true), now: Date = PracticeTime.parse("2025-03-04T17:00:00Z")!) {
        self.now = now
        let ids = Mutex(0)
        relay = Relay(settings: settings, book: .demo(now: now), makeSessionId: {
            ids.withLock { n in n += 1; return "s-\(n)" }
        })
    }

    mutating func absorb(_ outputs: [Relay.Output]) {
        for o in outputs {
            switch o {
            case .send(let c, let text):
                guard let e = try? SignalingEnvelope.decode(text) else {
                    Issue.record("relay sent undecodable text")
                    continue
                }
                inbox[c, default: []].append(e)
            case .close(let c): closed.insert(c)
            case .log(let level, let message, let meta):
                logs.append("\(level) \(message) " + meta.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
            }
        }
    }

    mutating func open(_ n: UInt64, clinician: String? = nil) -> RelayConnectionID {
        let c = RelayConnectionID(raw: n)
        absorb(relay.opened(c, clinicianFromURL: clinician, at: now))
        return c
    }

    mutating func send(_ c: RelayConnectionID, _ m: SignalingMessage, id: String? = nil) {
        absorb(relay.received(c, text: SignalingEnvelope(m, id: id).text, at: now))
    }

    mutating func sendText(_ c: RelayConnectionID, _ text: String) {
        absorb(relay.received(c, text: text, at: now))
    }

    mutating func drop(_ c: RelayConnectionID) { absorb(relay.closed(c, at: now)) }

    mutating func advance(_ seconds: TimeInterval) {
        now = now.addingTimeInterval(seconds)
        absorb(relay.tick(at: now))
    }

    /// Everything connection `c` received since the last call.
    mutating func take(_ c: RelayConnectionID) -> [SignalingMessage] {
        defer { inbox[c] = [] }
        return (inbox[c] ?? []).map(\.message)
    }

    mutating func takeEnvelopes(_ c: RelayConnectionID) -> [SignalingEnvelope] {
        defer { inbox[c] = [] }
        return inbox[c] ?? []
    }

    static let kioskHello = SignalingMessage.hello(SignalingHello(role: .kiosk, kioskId: "kiosk-1", token: "any", software: "kioskd/test"))
    static let clinicianHello = SignalingMessage.hello(SignalingHello(role: .clinician, software: "test"))

    /// A kiosk (conn 1) and the demo clinician (conn 2), both past hello, nothing joined.
    static func connected() -> (RelayHarness, RelayConnectionID, RelayConnectionID) {
        var h = RelayHarness()
        let k = h.open(1)
        h.send(k, kioskHello)
        let c = h.open(2, clinician: "dr-demo")
        h.send(c, clinicianHello)
        _ = h.take(k)
        _ = h.take(c)
        return (h, k, c)
    }

    /// Both joined demo-1 with the given offerer; peer-joined consumed.
    static func inCall(offerer: SignalingRole = .clinician) -> (RelayHarness, RelayConnectionID, RelayConnectionID) {
        var (h, k, c) = connected()
        h.send(k, .join(appointmentId: "demo-1", offerer: nil))
        h.send(c, .join(appointmentId: "demo-1", offerer: offerer))
        _ = h.take(k)
        _ = h.take(c)
        return (h, k, c)
    }
}

/// A real WebSocket client for the live tests (hummingbird's WSClient).
struct WSPeer {
    actor Inbox {
        var items: [String] = []
        var finished = false
        func push(_ s: String) { items.append(s) }
        func finish() { finished = true }
        func pop() -> String? { items.isEmpty ? nil : items.removeFirst() }
        func isFinished() -> Bool { finished && items.isEmpty }
    }

    struct Timeout: Error, CustomStringConvertible {
        var description: String
    }

    let inbox: Inbox
    let outbox: AsyncStream<String?>.Continuation
    let task: Task<Void, any Error>

    static func connect(_ url: String, headers: [String: String] = [:]) async throws -> WSPeer {
        let inbox = Inbox()
        let (outgoing, outbox) = AsyncStream<String?>.makeStream()
        let (ready, readySignal) = AsyncStream<Void>.makeStream()
        var logger = Logger(label: "wspeer")
        logger.logLevel = .critical
        let task = Task {
            defer { readySignal.finish() }
            try await WebSocketClientRunner.run(url: url, headers: headers, logger: logger, inbox: inbox, outgoing: outgoing,
                                                ready: readySignal)
        }
        var it = ready.makeAsyncIterator()
        guard await it.next() != nil else {
            _ = await task.result
            throw Timeout(description: "websocket to \(url) did not open")
        }
        return WSPeer(inbox: inbox, outbox: outbox, task: task)
    }

    func send(_ m: SignalingMessage, id: String? = nil) { outbox.yield(SignalingEnvelope(m, id: id).text) }
    func sendText(_ text: String) { outbox.yield(text) }
    func close() { outbox.yield(nil) }

    func next(within timeout: Duration = .seconds(5)) async throws -> SignalingEnvelope {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let text = await inbox.pop() { return try SignalingEnvelope.decode(text) }
            try await Task.sleep(for: .milliseconds(2))
        }
        throw Timeout(description: "no message within \(timeout)")
    }

    func nextMessage(within timeout: Duration = .seconds(5)) async throws -> SignalingMessage {
        try await next(within: timeout).message
    }

    /// True when nothing arrives for `d`.
    func staysQuiet(for d: Duration = .milliseconds(200)) async throws -> Bool {
        try await Task.sleep(for: d)
        return await inbox.pop() == nil
    }

    func waitUntilClosed(within timeout: Duration = .seconds(5)) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await inbox.isFinished() { return true }
            try await Task.sleep(for: .milliseconds(5))
        }
        return false
    }
}

/// Starts `PracticeServer` in-process on an ephemeral loopback port for the body's duration.
func withPracticeServer(
    settings: Relay.Settings = Relay.Settings(dev: true),
    book: AppointmentBook = .demo(now: Date()),
    logger: Logger,
    _ body: @Sendable (_ port: Int) async throws -> Void
) async throws {
    var options = PracticeServer.Options()
    options.port = 0
    options.relay = settings
    let server = PracticeServer(options: options, book: book, logger: logger)
    let (ports, portSignal) = AsyncStream<Int>.makeStream()
    let task = Task { try await server.run(handleSignals: false) { portSignal.yield($0) } }
    var it = ports.makeAsyncIterator()
    guard let port = await it.next(), port > 0 else {
        task.cancel()
        throw WSPeer.Timeout(description: "server did not start")
    }
    do {
        try await body(port)
    } catch {
        task.cancel()
        _ = await task.result
        throw error
    }
    task.cancel()
    _ = await task.result
}
