import Signaling

/// What the call layer (`KioskCall`) tells the kiosk's flow, in order: signaling's state, the
/// endpoint's messages about the room, and the media engine's outcome.
public enum CallEvent: Sendable, Equatable {
    case signalingReady
    case signalingLost
    /// The endpoint refused a request (e.g. a join the rules do not allow).
    case refused(code: String, message: String)
    case assignment(SignalingAppointment?)
    case joined(appointmentId: String, peerPresent: Bool)
    case peerJoined(appointmentId: String)
    case peerLeft(appointmentId: String)
    case sessionEnded(appointmentId: String, by: SignalingRole)
    case connected
    /// The engine failed (ICE, DTLS, consent); the reason in words without addresses.
    case failed(String?)
    case remoteMediaState(SignalingMediaState)
}
