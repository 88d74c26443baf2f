import Signaling

/// The patient's say over the call (DESIGN principle 7). kioskd takes part in a call only for
/// the appointment the patient joined on this kiosk, from the Continue or Rejoin tap until the
/// visit ends or the patient leaves: `KioskFlow` opens and closes it, and whatever the endpoint
/// sends at any other time is refused, so no media is sent or played without the patient.
/// Sans-IO: `KioskCall` asks it about each room message and performs the verdict.
struct CallConsent: Sendable, Equatable {
    enum Verdict: Sendable, Equatable {
        case admit
        /// Answer the endpoint with this `error` and do nothing else.
        case refuse(SignalingErrorCode, String)
    }

    /// The appointment the patient joined; nil while no call may run.
    private(set) var appointmentId: String?
    /// The current engine has taken its offer or answer: a second one is not this call's.
    private(set) var negotiated = false
    /// The current engine's call is up (DTLS done): a subsequent offer may continue it.
    private(set) var established = false
    /// The kiosk sent a subsequent offer (an ICE restart) and waits for its one answer.
    private(set) var awaitingAnswer = false

    /// The flow's word: the patient joined `id`, or nil (left, ended, refused, withdrawn).
    /// Returns true when an engine started under the previous consent must be torn down.
    @discardableResult
    mutating func set(_ id: String?) -> Bool {
        guard id != appointmentId else { return false }
        let hadCall = appointmentId != nil
        appointmentId = id
        negotiated = false
        engineStopped()
        return hadCall
    }

    /// The engine is gone (it failed, or the clinician left): the next offer starts afresh.
    mutating func engineEnded() {
        negotiated = false
        engineStopped()
    }

    /// No engine runs (or a new one starts): nothing to continue.
    mutating func engineStopped() {
        established = false
        awaitingAnswer = false
    }

    /// The engine connected (DTLS, SRTP keys): the call may be renegotiated from now on.
    mutating func callEstablished() { established = appointmentId != nil && negotiated }

    /// The kiosk sent a subsequent offer for the established call: its answer will be admitted.
    mutating func subsequentOfferSent() { if established { awaitingAnswer = true } }

    /// Mid-call offer/answer (an ICE restart, RFC 8445 §9) for the consented, established
    /// call: an offer is admitted for the engine to check that it continues this call (the
    /// same DTLS certificate and media; anything else it refuses and the call goes on), an
    /// answer only to the kiosk's own outstanding subsequent offer. False for everything else,
    /// which then goes through `admit` as before.
    mutating func admitsRenegotiation(_ message: SignalingMessage) -> Bool {
        guard appointmentId != nil, negotiated, established else { return false }
        switch message {
        case .offer:
            return true
        case .answer:
            guard awaitingAnswer else { return false }
            awaitingAnswer = false
            return true
        default:
            return false
        }
    }

    /// Whether the kiosk may act on `message`; admitting an offer or answer marks the
    /// negotiation done. Messages that are not about the call are always admitted.
    mutating func admit(_ message: SignalingMessage) -> Verdict {
        switch message {
        case .peerJoined(let id, _, _):
            guard let mine = appointmentId else { return .refuse(.notInSession, Self.notJoined) }
            guard id == mine else { return .refuse(.unexpected, "the kiosk is in another appointment's room") }
            negotiated = false
            engineStopped()
            return .admit
        case .offer, .answer:
            guard appointmentId != nil else { return .refuse(.notInSession, Self.notJoined) }
            guard !negotiated else { return .refuse(.unexpected, "a call is already negotiated on this kiosk") }
            negotiated = true
            return .admit
        case .candidate, .endOfCandidates, .requestOffer, .mediaState:
            guard appointmentId != nil else { return .refuse(.notInSession, Self.notJoined) }
            return .admit
        default:
            return .admit
        }
    }

    static let notJoined = "the patient has not joined a visit on this kiosk"
}
