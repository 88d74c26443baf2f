import SessionCore

/// Inputs, outputs and settings of `SignalingClient`.
extension SignalingClient {
    public struct Configuration: Sendable {
        /// Who we are; `sessionId` is filled in by the client when resuming.
        public var hello: SignalingHello
        /// First reconnect delay; it doubles per failed attempt up to `maximumBackoff`.
        public var initialBackoff: Duration = .milliseconds(500)
        public var maximumBackoff: Duration = .seconds(30)
        /// Each delay is scaled by a random factor in [1 − jitter, 1] so a fleet of kiosks does
        /// not reconnect in lockstep after an endpoint restart.
        public var jitter: Double = 0.5
        /// A connection that stayed ready this long resets the backoff to `initialBackoff`.
        public var backoffResetAfter: Duration = .seconds(10)
        public var connectTimeout: Duration = .seconds(10)
        public var helloTimeout: Duration = .seconds(10)
        /// Used until `welcome` gives the endpoint's interval.
        public var defaultHeartbeat: Duration = .seconds(15)
        /// The connection is declared dead when nothing arrived for this many heartbeat intervals.
        public var deadAfterHeartbeats: Int = 2
        /// After `.networkChanged` a ready connection must answer a `ping` within this long, or
        /// it is taken for dead (its TCP connection may be bound to an address that is gone)
        /// and replaced at once, without waiting for the heartbeat to notice.
        public var probeTimeout: Duration = .seconds(1)
        /// Messages kept while signaling is down (oldest dropped first).
        public var outboxLimit: Int = 256
        /// What the endpoint may send on one connection: a burst of this many messages, then
        /// `inboundPerSecond` on average. More is a flood (a broken or hostile endpoint): the
        /// connection is closed and retried with backoff, so neither CPU nor memory follows it.
        /// A call's set-up is tens of messages; a heartbeat one every few seconds.
        public var inboundBurst: Int = defaultInboundBurst
        public var inboundPerSecond: Int = defaultInboundPerSecond
        public static let defaultInboundBurst = 500, defaultInboundPerSecond = 100
        /// Seed of the jitter generator (the driver passes a random one; tests a fixed one).
        public var jitterSeed: UInt64 = 0x5eed

        public init(hello: SignalingHello) { self.hello = hello }
    }

    public enum State: Sendable, Equatable {
        /// Not connected. `retryAt` is when the next attempt starts; nil before `start` or after `stop`.
        case disconnected(retryAt: Instant?)
        /// `.connect` was emitted; waiting for the driver's `.connected`.
        case connecting(deadline: Instant)
        /// `hello` sent; waiting for `welcome`.
        case helloSent(deadline: Instant)
        /// `welcome` received; messages flow.
        case ready(SignalingClientReady)
    }

    public enum Input: Sendable, Equatable {
        /// Begin connecting (from `disconnected(retryAt: nil)`).
        case start
        /// Close for good: no reconnect until `start`.
        case stop
        /// The driver's WebSocket opened.
        case connected
        /// One text frame from the endpoint.
        case received(String)
        /// The driver's WebSocket closed or failed to open.
        case disconnected
        /// The deadline from `.timeout` passed.
        case timeout
        case intent(Intent)
        /// The host's addresses changed: the connection is probed (ready), or the next attempt
        /// starts now (connecting or waiting to retry), on the network as it is now.
        case networkChanged
    }

    /// What the call layer asks signaling to do.
    public enum Intent: Sendable, Equatable {
        case join(appointmentId: String, offerer: SignalingRole? = nil)
        case rejoin(appointmentId: String, offerer: SignalingRole? = nil)
        case leave(appointmentId: String)
        case end(appointmentId: String)
        case sendOffer(sdp: String)
        case sendAnswer(sdp: String)
        case sendCandidate(SignalingCandidate)
        case sendEndOfCandidates
        case sendMediaState(SignalingMediaState)
        case requestOffer(iceRestart: Bool)
        /// Refuses a message the endpoint sent (docs/signaling.md: a receiver answers malformed or
        /// out-of-order input with `error`, carrying the message's `id` as `inReplyTo`).
        case sendError(SignalingErrorPayload)

        var message: SignalingMessage {
            switch self {
            case .join(let id, let offerer): return .join(appointmentId: id, offerer: offerer)
            case .rejoin(let id, let offerer): return .rejoin(appointmentId: id, offerer: offerer)
            case .leave(let id): return .leave(appointmentId: id)
            case .end(let id): return .end(appointmentId: id)
            case .sendOffer(let sdp): return .offer(sdp: sdp)
            case .sendAnswer(let sdp): return .answer(sdp: sdp)
            case .sendCandidate(let c): return .candidate(c)
            case .sendEndOfCandidates: return .endOfCandidates
            case .sendMediaState(let m): return .mediaState(m)
            case .requestOffer(let r): return .requestOffer(iceRestart: r)
            case .sendError(let e): return .error(e)
            }
        }
    }

    public enum Output: TimedOutput, Equatable {
        /// Open the WebSocket to the endpoint; report `.connected` or `.disconnected`.
        case connect
        /// Send this text frame.
        case send(String)
        /// Close the WebSocket (dead, timed out or refused); do not report `.disconnected` for it.
        case close
        case event(Event)
        /// Nothing more to do until this instant (or until the next input).
        case timeout(Instant)

        public var timeoutInstant: Instant? { if case .timeout(let t) = self { t } else { nil } }
    }

    public enum Event: Sendable, Equatable {
        /// First `welcome` after `start`.
        case ready(SignalingWelcome)
        /// Signaling dropped after having been ready. The call (media, ICE, DTLS) must carry on.
        case signalingLost
        /// Signaling is back after `signalingLost`. If `welcome.resumed` is false the endpoint had
        /// forgotten us; the client has already re-sent `join` for the appointment it was in.
        case signalingRestored(SignalingWelcome)
        /// A message from the endpoint or the peer (everything but welcome/ping/pong).
        case message(SignalingEnvelope)
        /// The endpoint sent text that does not decode; it was ignored. `inReplyTo`: its `id`,
        /// when one could be read, for the `error` reply docs/signaling.md asks for.
        case invalidMessage(SignalingError, inReplyTo: String?)
        /// The endpoint refused `hello`; the client retries with backoff.
        case rejected(SignalingErrorPayload)
        /// The endpoint sent more than the inbound budget allows: the connection was closed and
        /// is retried with backoff (then `signalingLost` and, later, `signalingRestored`).
        case flooded
    }
}

/// Bookkeeping of a ready connection.
public struct SignalingClientReady: Sendable, Equatable {
    public var welcome: SignalingWelcome
    public var since: Instant
    public var lastReceived: Instant
    public var nextPing: Instant
    /// Set by `.networkChanged`: the connection is dead unless something arrives before it.
    public var probeDeadline: Instant?
    /// Another change came while probing: the answer may predate it, so probe once more.
    public var probeAgain = false

    public init(welcome: SignalingWelcome, since: Instant, lastReceived: Instant, nextPing: Instant, probeDeadline: Instant? = nil) {
        self.welcome = welcome
        self.since = since
        self.lastReceived = lastReceived
        self.nextPing = nextPing
        self.probeDeadline = probeDeadline
    }
}
