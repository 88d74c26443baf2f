// Who speaks: the roles, hello and welcome (docs/signaling.md lists every field).

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
