// The values of a call in a room: candidates, media state, why a peer left (docs/signaling.md).

/// Why a peer is no longer in the room.
public enum SignalingPeerLeftReason: String, Sendable, Hashable, CaseIterable {
    /// It sent `leave`.
    case left
    /// Its signaling connection dropped and did not come back within the endpoint's grace period.
    case timeout
    /// A new connection with the same identity replaced it (e.g. the kiosk restarted).
    case replaced
}

/// A trickled ICE candidate, as in WebRTC's `RTCIceCandidateInit`.
public struct SignalingCandidate: Sendable, Equatable {
    /// The `candidate:` attribute value (RFC 8839 §5.1), without `a=`.
    public var candidate: String
    public var sdpMid: String?
    public var sdpMLineIndex: Int?
    public var usernameFragment: String?

    public init(candidate: String, sdpMid: String?, sdpMLineIndex: Int?, usernameFragment: String? = nil) {
        self.candidate = candidate
        self.sdpMid = sdpMid
        self.sdpMLineIndex = sdpMLineIndex
        self.usernameFragment = usernameFragment
    }
}

public enum SignalingCameraState: String, Sendable, Hashable, CaseIterable {
    /// `unavailable`: the device is gone or failed (unplugged mid-call), not the person's choice.
    case on, off, unavailable
}

public enum SignalingMicrophoneState: String, Sendable, Hashable, CaseIterable {
    case muted, unmuted
}

/// The sender's camera and microphone as the other side should show them.
public struct SignalingMediaState: Sendable, Equatable {
    public var camera: SignalingCameraState
    public var microphone: SignalingMicrophoneState

    public init(camera: SignalingCameraState, microphone: SignalingMicrophoneState) {
        self.camera = camera
        self.microphone = microphone
    }
}
