/// Every message of kiosk↔practice signaling protocol version 1 (docs/signaling.md).
/// Directions: K = kiosk, C = clinician's browser, E = endpoint. "Relayed" messages go from
/// one side of a room to the other unchanged.
public enum SignalingMessage: Sendable, Equatable {
    /// K/C → E, first message on a connection.
    case hello(SignalingHello)
    /// E → K/C, reply to `hello`.
    case welcome(SignalingWelcome)
    /// E → K, after `welcome` and whenever the kiosk's appointment changes; nil = none.
    case assignment(SignalingAppointment?)
    /// K/C → E: enter the appointment's room. Only the clinician's `offerer` counts (default
    /// clinician): it picks which side creates the offer once both are in.
    case join(appointmentId: String, offerer: SignalingRole?)
    /// E → K/C, reply to `join`/`rejoin`.
    case joined(appointmentId: String, peerPresent: Bool)
    /// K/C → E: leave the room; the other side stays (and gets `peer-left`).
    case leave(appointmentId: String)
    /// K/C → E: end the session for both sides (both get `session-ended`).
    case end(appointmentId: String)
    /// K/C → E: come back after `session-ended`; the call resumes when both have rejoined.
    case rejoin(appointmentId: String, offerer: SignalingRole?)
    /// E → K/C: both sides are in the room; the side whose role is `offerer` sends `offer`.
    case peerJoined(appointmentId: String, role: SignalingRole, offerer: SignalingRole)
    /// E → K/C: the other side left the room.
    case peerLeft(appointmentId: String, role: SignalingRole, reason: SignalingPeerLeftReason)
    /// E → K/C: `end` was sent by `by`; both sides are out of the room.
    case sessionEnded(appointmentId: String, by: SignalingRole)
    /// Relayed: ask the other side to send a (new) offer, e.g. when the kiosk must offer.
    case requestOffer(iceRestart: Bool)
    /// Relayed: SDP offer (RFC 8829 §5.2).
    case offer(sdp: String)
    /// Relayed: SDP answer (RFC 8829 §5.3).
    case answer(sdp: String)
    /// Relayed: one trickled ICE candidate (RFC 8838).
    case candidate(SignalingCandidate)
    /// Relayed: the sender has gathered all its candidates (RFC 8838 §4.4).
    case endOfCandidates
    /// Relayed: the sender's camera/microphone state, for the other side's display.
    case mediaState(SignalingMediaState)
    /// Any direction: liveness probe; the receiver answers `pong` with the same `id`.
    case ping
    case pong
    /// Any direction: a request failed or a message was rejected.
    case error(SignalingErrorPayload)

    /// The wire `type` of this message.
    public var type: SignalingMessageType {
        switch self {
        case .hello: return .hello
        case .welcome: return .welcome
        case .assignment: return .assignment
        case .join: return .join
        case .joined: return .joined
        case .leave: return .leave
        case .end: return .end
        case .rejoin: return .rejoin
        case .peerJoined: return .peerJoined
        case .peerLeft: return .peerLeft
        case .sessionEnded: return .sessionEnded
        case .requestOffer: return .requestOffer
        case .offer: return .offer
        case .answer: return .answer
        case .candidate: return .candidate
        case .endOfCandidates: return .endOfCandidates
        case .mediaState: return .mediaState
        case .ping: return .ping
        case .pong: return .pong
        case .error: return .error
        }
    }
}

/// The `type` field's values. Safe to log (fixed vocabulary).
public enum SignalingMessageType: String, Sendable, Hashable, CaseIterable {
    case hello, welcome, assignment, join, joined, leave, end, rejoin
    case peerJoined = "peer-joined"
    case peerLeft = "peer-left"
    case sessionEnded = "session-ended"
    case requestOffer = "request-offer"
    case offer, answer, candidate
    case endOfCandidates = "end-of-candidates"
    case mediaState = "media-state"
    case ping, pong, error

    /// Messages the endpoint forwards from one side of a room to the other.
    public var isRelayed: Bool {
        switch self {
        case .requestOffer, .offer, .answer, .candidate, .endOfCandidates, .mediaState: return true
        default: return false
        }
    }

    /// Messages only the endpoint may send.
    public var isFromEndpoint: Bool {
        switch self {
        case .welcome, .assignment, .joined, .peerJoined, .peerLeft, .sessionEnded: return true
        default: return false
        }
    }
}
