/// The value types carried by signaling messages (docs/signaling.md lists every field).

/// Which side of a call a connection speaks for.
public enum SignalingRole: String, Sendable, Hashable, CaseIterable {
    case kiosk
    case clinician
}

/// `hello`: the first message on every connection.
public struct SignalingHello: Sendable, Equatable {
    public var role: SignalingRole
    /// Required when `role == .kiosk`.
    public var kioskId: String?
    /// The clinician's id; a dev endpoint may take it from the URL's `clinician` parameter instead.
    public var clinicianId: String?
    /// The kiosk's enrolment secret (required for kiosks; a dev endpoint accepts any value).
    public var token: String?
    /// Product and version, e.g. `kioskd/0.1.0`.
    public var software: String
    /// The `welcome.sessionId` of the previous connection, to resume after a signaling drop.
    public var sessionId: String?

    public init(role: SignalingRole, kioskId: String? = nil, clinicianId: String? = nil,
                token: String? = nil, software: String, sessionId: String? = nil) {
        self.role = role
        self.kioskId = kioskId
        self.clinicianId = clinicianId
        self.token = token
        self.software = software
        self.sessionId = sessionId
    }
}

/// One STUN/TURN server, as in WebRTC's `RTCIceServer`.
public struct SignalingICEServer: Sendable, Equatable {
    public var urls: [String]
    public var username: String?
    public var credential: String?

    public init(urls: [String], username: String? = nil, credential: String? = nil) {
        self.urls = urls
        self.username = username
        self.credential = credential
    }
}

/// `welcome`: the endpoint accepted `hello`.
public struct SignalingWelcome: Sendable, Equatable {
    public var sessionId: String
    /// How often the client should send `ping`.
    public var heartbeatIntervalMs: Int
    public var iceServers: [SignalingICEServer]
    /// True when `hello.sessionId` named a live session and its room membership was kept.
    public var resumed: Bool

    public init(sessionId: String, heartbeatIntervalMs: Int, iceServers: [SignalingICEServer], resumed: Bool = false) {
        self.sessionId = sessionId
        self.heartbeatIntervalMs = heartbeatIntervalMs
        self.iceServers = iceServers
        self.resumed = resumed
    }
}

/// Why an appointment can or cannot have a telehealth session (code is machine-readable).
public struct SignalingReason: Sendable, Equatable {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}

/// Whether, and when, a telehealth session may run for an appointment.
public struct SignalingTelehealth: Sendable, Equatable {
    public var eligible: Bool
    /// Empty when eligible now; otherwise every rule that failed.
    public var reasons: [SignalingReason]
    /// RFC 3339 date-times bounding the window in which the session may start.
    public var opensAt: String
    public var closesAt: String

    public init(eligible: Bool, reasons: [SignalingReason] = [], opensAt: String, closesAt: String) {
        self.eligible = eligible
        self.reasons = reasons
        self.opensAt = opensAt
        self.closesAt = closesAt
    }
}

/// What a kiosk learns about the appointment it is assigned to. No patient data.
public struct SignalingAppointment: Sendable, Equatable {
    public var id: String
    public var clinicianDisplayName: String
    /// RFC 3339 date-time.
    public var scheduledAt: String
    /// IANA time zone name in which to show times, e.g. `America/Chicago`.
    public var timeZone: String
    public var telehealth: SignalingTelehealth

    public init(id: String, clinicianDisplayName: String, scheduledAt: String, timeZone: String,
                telehealth: SignalingTelehealth) {
        self.id = id
        self.clinicianDisplayName = clinicianDisplayName
        self.scheduledAt = scheduledAt
        self.timeZone = timeZone
        self.telehealth = telehealth
    }
}

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
    case on, off
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

/// `error`: a request failed or a message was rejected.
public struct SignalingErrorPayload: Sendable, Equatable {
    public var code: SignalingErrorCode
    /// Human-readable, in English; never contains personal data.
    public var message: String
    /// The `id` of the message this answers, if it had one.
    public var inReplyTo: String?

    public init(code: SignalingErrorCode, message: String, inReplyTo: String? = nil) {
        self.code = code
        self.message = message
        self.inReplyTo = inReplyTo
    }
}
