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

    /// The flow's word: the patient joined `id`, or nil (left, ended, refused, withdrawn).
    /// Returns true when an engine started under the previous consent must be torn down.
    @discardableResult
    mutating func set(_ id: String?) -> Bool {
        guard id != appointmentId else { return false }
        let hadCall = appointmentId != nil
        appointmentId = id
        negotiated = false
        return hadCall
    }

    /// The engine is gone (it failed, or the clinician left): the next offer starts afresh.
    mutating func engineEnded() { negotiated = false }

    /// Whether the kiosk may act on `message`; admitting an offer or answer marks the
    /// negotiation done. Messages that are not about the call are always admitted.
    mutating func admit(_ message: SignalingMessage) -> Verdict {
        switch message {
        case .peerJoined(let id, _, _):
            guard let mine = appointmentId else { return .refuse(.notInSession, Self.notJoined) }
            guard id == mine else { return .refuse(.unexpected, "the kiosk is in another appointment's room") }
            negotiated = false
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
