import SessionCore

/// The kiosk's (or any client's) side of signaling as a sans-IO state machine: it never opens a
/// socket or reads a clock. The driver feeds `handle(_:at:)` and drains `poll()` until it
/// returns `.timeout` (call `handle(.timeout, at:)` then) or nil (wait for input).
///
/// Signaling is not the call: when the WebSocket drops, the client reports `.signalingLost`,
/// keeps what the call layer sends in an outbox, reconnects with exponential backoff and
/// jitter, resumes its endpoint session (`hello.sessionId`) and reports `.signalingRestored`.
public struct SignalingClient: SansIOMachine, Sendable {
    public let configuration: Configuration
    public private(set) var state: State = .disconnected(retryAt: nil)
    /// The endpoint session to resume after a drop (the last `welcome.sessionId`).
    public private(set) var sessionId: String?
    /// The appointment whose room we asked to be in (join/rejoin until leave/end/session-ended).
    public var activeAppointmentId: String? { active?.id }

    private struct ActiveAppointment: Sendable, Equatable {
        var id: String
        var offerer: SignalingRole?
    }

    private var active: ActiveAppointment?
    /// Failed attempts since the last stable connection (exponent of the backoff).
    private var attempts = 0
    /// Set between `.signalingLost` and the next `welcome`.
    private var lost = false
    private var hasBeenReady = false
    private var helloId: String?
    private var outbox: [Intent] = []
    private var outputs = OutputQueue<Output>()
    private var nextId = 1
    private var jitter: SplitMix64
    /// The inbound budget of this connection (a token bucket), and when it was last refilled.
    private var inboundTokens = 0.0
    private var inboundRefilledAt = Instant.zero

    public init(configuration: Configuration) {
        self.configuration = configuration
        self.jitter = SplitMix64(seed: configuration.jitterSeed)
    }

    public var isReady: Bool {
        if case .ready = state { return true }
        return false
    }

    /// The drain contract (`SansIOMachine`): the outputs in order, then one `.timeout`
    /// (`Instant.never` when stopped), then nil until the next input.
    public mutating func poll() -> Output? {
        if let o = outputs.next() { return o }
        return outputs.owesTimeout() ? .timeout(nextDeadline ?? .never) : nil
    }

    /// When `handle(.timeout, at:)` is next due.
    public var nextDeadline: Instant? {
        switch state {
        case .disconnected(let retryAt): return retryAt
        case .connecting(let deadline), .helloSent(let deadline): return deadline
        case .ready(let r): return min(r.nextPing, r.lastReceived + deadAfter(r.welcome), r.probeDeadline ?? .never)
        }
    }

    public mutating func handle(_ input: Input, at now: Instant) {
        outputs.inputHandled()
        switch input {
        case .start:
            guard case .disconnected(nil) = state else { return }
            beginConnect(at: now)
        case .stop:
            if case .disconnected = state {} else { emit(.close) }
            state = .disconnected(retryAt: nil)
            attempts = 0
            lost = false
            hasBeenReady = false
            sessionId = nil
            active = nil
            outbox.removeAll()
        case .connected:
            guard case .connecting = state else { return }
            var hello = configuration.hello
            hello.sessionId = sessionId
            let id = takeId()
            helloId = id
            inboundTokens = Double(max(configuration.inboundBurst, 1))
            inboundRefilledAt = now
            emit(.send(SignalingEnvelope(.hello(hello), id: id).text))
            state = .helloSent(deadline: now + configuration.helloTimeout)
        case .received(let text):
            received(text, at: now)
        case .disconnected:
            switch state {
            case .disconnected: return
            case .connecting, .helloSent: retryLater(at: now)
            case .ready(let r): connectionLost(r, at: now)
            }
        case .timeout:
            timeout(at: now)
        case .intent(let intent):
            perform(intent)
        case .networkChanged:
            networkChanged(at: now)
        }
    }

    /// A changed network often kills the connection silently (its source address is gone, so
    /// TCP just retransmits); waiting for the heartbeat would leave the call's ICE restart
    /// without signaling for up to `deadAfterHeartbeats` intervals.
    private mutating func networkChanged(at now: Instant) {
        switch state {
        case .ready(var r):
            guard r.probeDeadline == nil else {
                r.probeAgain = true
                state = .ready(r)
                return
            }
            emit(.send(SignalingEnvelope(.ping, id: takeId()).text))
            r.probeDeadline = now + configuration.probeTimeout
            state = .ready(r)
        case .connecting, .helloSent:
            emit(.close)
            state = .disconnected(retryAt: now)
        case .disconnected(let retryAt):
            if retryAt != nil { state = .disconnected(retryAt: now) }
        }
    }

    // MARK: - Inputs

    private mutating func received(_ text: String, at now: Instant) {
        let envelope: SignalingEnvelope
        switch state {
        case .disconnected, .connecting:
            return  // a frame from a connection we already gave up on
        case .ready(var r):
            r.lastReceived = now  // anything at all proves the connection is alive
            if r.probeAgain {
                r.probeAgain = false
                emit(.send(SignalingEnvelope(.ping, id: takeId()).text))
                r.probeDeadline = now + configuration.probeTimeout
            } else {
                r.probeDeadline = nil
            }
            state = .ready(r)
        case .helloSent:
            break
        }
        guard takeInboundToken(at: now) else {
            // Not decoded: a flood costs one token check per message until the close.
            emit(.close)
            emit(.event(.flooded))
            if case .ready(let r) = state { connectionLost(r, at: now) } else { retryLater(at: now) }
            return
        }
        do {
            envelope = try SignalingEnvelope.decode(text)
        } catch {
            emit(.event(.invalidMessage(error, inReplyTo: SignalingEnvelope.idHint(in: text))))
            return
        }

        if case .helloSent = state {
            switch envelope.message {
            case .welcome(let welcome):
                becomeReady(welcome, at: now)
            case .error(let e) where e.inReplyTo == nil || e.inReplyTo == helloId:
                emit(.event(.rejected(e)))
                emit(.close)
                retryLater(at: now)
            case .ping:
                emit(.send(SignalingEnvelope(.pong, id: envelope.id).text))
            default:
                emit(.event(.message(envelope)))
            }
            return
        }

        switch envelope.message {
        case .ping:
            emit(.send(SignalingEnvelope(.pong, id: envelope.id).text))
        case .pong, .welcome:
            break
        case .sessionEnded(let id, _):
            if active?.id == id { active = nil }
            emit(.event(.message(envelope)))
        default:
            emit(.event(.message(envelope)))
        }
    }

    private mutating func timeout(at now: Instant) {
        switch state {
        case .disconnected(let retryAt):
            guard let retryAt, now >= retryAt else { return }
            beginConnect(at: now)
        case .connecting(let deadline), .helloSent(let deadline):
            guard now >= deadline else { return }
            emit(.close)
            retryLater(at: now)
        case .ready(var r):
            if let probe = r.probeDeadline, now >= probe {
                // Not the endpoint's fault: reconnect now, over the network as it is.
                emit(.close)
                connectionLost(r, at: now)
                state = .disconnected(retryAt: now)
                return
            }
            if now >= r.lastReceived + deadAfter(r.welcome) {
                emit(.close)
                connectionLost(r, at: now)
                return
            }
            if now >= r.nextPing {
                emit(.send(SignalingEnvelope(.ping, id: takeId()).text))
                r.nextPing = now + heartbeat(r.welcome)
                state = .ready(r)
            }
        }
    }

    private mutating func perform(_ intent: Intent) {
        switch intent {
        case .join(let id, let offerer), .rejoin(let id, let offerer):
            active = ActiveAppointment(id: id, offerer: offerer)
        case .leave(let id), .end(let id):
            if active?.id == id { active = nil }
        default:
            break
        }
        if isReady {
            send(intent)
        } else {
            if outbox.count >= max(configuration.outboxLimit, 1) { outbox.removeFirst() }
            outbox.append(intent)
        }
    }

    // MARK: - Transitions

    private mutating func beginConnect(at now: Instant) {
        emit(.connect)
        state = .connecting(deadline: now + configuration.connectTimeout)
    }

    private mutating func becomeReady(_ welcome: SignalingWelcome, at now: Instant) {
        state = .ready(SignalingClientReady(welcome: welcome, since: now, lastReceived: now,
                                            nextPing: now + heartbeat(welcome)))
        sessionId = welcome.sessionId
        if !hasBeenReady {
            hasBeenReady = true
            emit(.event(.ready(welcome)))
        } else if lost {
            emit(.event(.signalingRestored(welcome)))
        } else {
            emit(.event(.ready(welcome)))
        }
        lost = false
        // A fresh endpoint session has no room for us: ask again for the one we were in.
        var rejoined = false
        if !welcome.resumed, let active {
            send(.join(appointmentId: active.id, offerer: active.offerer))
            rejoined = true
        }
        let queued = outbox
        outbox.removeAll()
        for intent in queued {
            switch intent {
            case .join, .rejoin:
                if !rejoined { send(intent) }
            default:
                send(intent)
            }
        }
    }

    private mutating func connectionLost(_ r: SignalingClientReady, at now: Instant) {
        if now - r.since >= configuration.backoffResetAfter { attempts = 0 }
        if !lost {
            lost = true
            emit(.event(.signalingLost))
        }
        retryLater(at: now)
    }

    private mutating func retryLater(at now: Instant) {
        state = .disconnected(retryAt: now + backoff())
        attempts += 1
    }

    /// initial × 2^attempts, capped, then scaled by a factor in [1 − jitter, 1].
    private mutating func backoff() -> Duration {
        let base = configuration.initialBackoff.secondsDouble
        let cap = configuration.maximumBackoff.secondsDouble
        let nominal = min(cap, base * Double(1 << min(attempts, 30)))
        let j = min(max(configuration.jitter, 0), 1)
        let seconds = nominal * (1 - j * jitter.unit())
        return .nanoseconds(Int64(seconds * 1e9))
    }

    // MARK: - Helpers

    private mutating func takeInboundToken(at now: Instant) -> Bool {
        let burst = Double(max(configuration.inboundBurst, 1))
        let elapsed = max(0, (now - inboundRefilledAt).secondsDouble)
        inboundTokens = min(burst, inboundTokens + elapsed * Double(max(configuration.inboundPerSecond, 0)))
        inboundRefilledAt = now
        guard inboundTokens >= 1 else { return false }
        inboundTokens -= 1
        return true
    }

    private func heartbeat(_ w: SignalingWelcome) -> Duration {
        w.heartbeatIntervalMs > 0 ? .milliseconds(w.heartbeatIntervalMs) : configuration.defaultHeartbeat
    }

    private func deadAfter(_ w: SignalingWelcome) -> Duration {
        heartbeat(w) * max(configuration.deadAfterHeartbeats, 1)
    }

    private mutating func send(_ intent: Intent) {
        emit(.send(SignalingEnvelope(intent.message, id: takeId()).text))
    }

    private mutating func takeId() -> String {
        defer { nextId &+= 1 }
        return "c\(nextId)"
    }

    private mutating func emit(_ o: Output) { outputs.push(o) }
}
