/// Field-level encoding and decoding of each message type (docs/signaling.md §Messages).
extension SignalingMessage {
    /// Appends this message's own fields (not `v`, `type`, `id`).
    func encodeFields(into o: inout SignalingObjectBuilder) {
        switch self {
        case .hello(let h):
            o.set("role", h.role.rawValue)
            o.set("kioskId", h.kioskId)
            o.set("clinicianId", h.clinicianId)
            o.set("token", h.token)
            o.set("software", h.software)
            o.set("sessionId", h.sessionId)
        case .welcome(let w):
            o.set("sessionId", w.sessionId)
            o.set("heartbeatIntervalMs", w.heartbeatIntervalMs)
            o.set("iceServers", .array(w.iceServers.map(Self.json)))
            o.set("resumed", w.resumed)
        case .assignment(let a):
            o.set("appointment", a.map(Self.json) ?? .null)
        case .join(let id, let offerer), .rejoin(let id, let offerer):
            o.set("appointmentId", id)
            o.set("offerer", offerer?.rawValue)
        case .joined(let id, let peerPresent):
            o.set("appointmentId", id)
            o.set("peerPresent", peerPresent)
        case .leave(let id), .end(let id):
            o.set("appointmentId", id)
        case .peerJoined(let id, let role, let offerer):
            o.set("appointmentId", id)
            o.set("role", role.rawValue)
            o.set("offerer", offerer.rawValue)
        case .peerLeft(let id, let role, let reason):
            o.set("appointmentId", id)
            o.set("role", role.rawValue)
            o.set("reason", reason.rawValue)
        case .sessionEnded(let id, let by):
            o.set("appointmentId", id)
            o.set("by", by.rawValue)
        case .requestOffer(let iceRestart):
            o.set("iceRestart", iceRestart)
        case .offer(let sdp), .answer(let sdp):
            o.set("sdp", sdp)
        case .candidate(let c):
            o.set("candidate", c.candidate)
            o.set("sdpMid", c.sdpMid)
            o.set("sdpMLineIndex", c.sdpMLineIndex)
            o.set("usernameFragment", c.usernameFragment)
        case .mediaState(let m):
            o.set("camera", m.camera.rawValue)
            o.set("microphone", m.microphone.rawValue)
        case .error(let e):
            o.set("code", e.code.rawValue)
            o.set("message", e.message)
            o.set("inReplyTo", e.inReplyTo)
        case .endOfCandidates, .ping, .pong:
            break
        }
    }

    private static func json(_ s: SignalingICEServer) -> SignalingJSON {
        var o = SignalingObjectBuilder()
        o.set("urls", .array(s.urls.map { .string($0) }))
        o.set("username", s.username)
        o.set("credential", s.credential)
        return o.json
    }

    private static func json(_ a: SignalingAppointment) -> SignalingJSON {
        var t = SignalingObjectBuilder()
        t.set("eligible", a.telehealth.eligible)
        t.set("reasons", .array(a.telehealth.reasons.map { r in
            var o = SignalingObjectBuilder()
            o.set("code", r.code)
            o.set("message", r.message)
            return o.json
        }))
        t.set("opensAt", a.telehealth.opensAt)
        t.set("closesAt", a.telehealth.closesAt)
        var o = SignalingObjectBuilder()
        o.set("id", a.id)
        o.set("clinicianDisplayName", a.clinicianDisplayName)
        o.set("scheduledAt", a.scheduledAt)
        o.set("timeZone", a.timeZone)
        o.set("telehealth", t.json)
        return o.json
    }

    /// Decodes the fields of a message whose `type` is already known. Unknown fields are ignored.
    static func decode(_ type: SignalingMessageType, _ f: SignalingFieldReader) throws(SignalingError) -> SignalingMessage {
        switch type {
        case .hello:
            let role = try f.enumValue("role", SignalingRole.self)
            let hello = SignalingHello(
                role: role,
                kioskId: try f.optionalIdentifier("kioskId"),
                clinicianId: try f.optionalIdentifier("clinicianId"),
                token: try f.optionalString("token", maxLength: 1024),
                software: try f.string("software", maxLength: 128),
                sessionId: try f.optionalIdentifier("sessionId"))
            if role == .kiosk, hello.kioskId == nil { throw .missingField(f.path("kioskId")) }
            if role == .kiosk, hello.token == nil { throw .missingField(f.path("token")) }
            return .hello(hello)
        case .welcome:
            var servers: [SignalingICEServer] = []
            for (path, element) in try f.array("iceServers", maxCount: 16) {
                servers.append(try iceServer(SignalingFieldReader(element, path: path)))
            }
            return .welcome(SignalingWelcome(
                sessionId: try f.identifier("sessionId"),
                heartbeatIntervalMs: try f.int("heartbeatIntervalMs", in: 1_000...600_000),
                iceServers: servers,
                resumed: try f.optionalBool("resumed") ?? false))
        case .assignment:
            // Required but nullable: `"appointment": null` means "no appointment".
            guard f.fields["appointment"] != nil else { throw .missingField(f.path("appointment")) }
            guard let a = try f.optionalObject("appointment") else { return .assignment(nil) }
            return .assignment(try appointment(a))
        case .join:
            return .join(appointmentId: try f.identifier("appointmentId"),
                         offerer: try f.optionalEnum("offerer", SignalingRole.self))
        case .rejoin:
            return .rejoin(appointmentId: try f.identifier("appointmentId"),
                           offerer: try f.optionalEnum("offerer", SignalingRole.self))
        case .joined:
            return .joined(appointmentId: try f.identifier("appointmentId"), peerPresent: try f.bool("peerPresent"))
        case .leave:
            return .leave(appointmentId: try f.identifier("appointmentId"))
        case .end:
            return .end(appointmentId: try f.identifier("appointmentId"))
        case .peerJoined:
            return .peerJoined(appointmentId: try f.identifier("appointmentId"),
                               role: try f.enumValue("role", SignalingRole.self),
                               offerer: try f.enumValue("offerer", SignalingRole.self))
        case .peerLeft:
            return .peerLeft(appointmentId: try f.identifier("appointmentId"),
                             role: try f.enumValue("role", SignalingRole.self),
                             reason: try f.enumValue("reason", SignalingPeerLeftReason.self))
        case .sessionEnded:
            return .sessionEnded(appointmentId: try f.identifier("appointmentId"),
                                 by: try f.enumValue("by", SignalingRole.self))
        case .requestOffer:
            return .requestOffer(iceRestart: try f.optionalBool("iceRestart") ?? false)
        case .offer:
            return .offer(sdp: try f.string("sdp", maxLength: SignalingEnvelope.maximumLength))
        case .answer:
            return .answer(sdp: try f.string("sdp", maxLength: SignalingEnvelope.maximumLength))
        case .candidate:
            let c = SignalingCandidate(
                candidate: try f.string("candidate", maxLength: 1024),
                sdpMid: try f.optionalString("sdpMid", maxLength: 64),
                sdpMLineIndex: try f.optionalInt("sdpMLineIndex", in: 0...65_535),
                usernameFragment: try f.optionalString("usernameFragment", maxLength: 256))
            // JSEP (RFC 8829 §5.7) needs one of the two to find the m-section.
            if c.sdpMid == nil, c.sdpMLineIndex == nil { throw .missingField(f.path("sdpMid")) }
            return .candidate(c)
        case .endOfCandidates:
            return .endOfCandidates
        case .mediaState:
            return .mediaState(SignalingMediaState(
                camera: try f.enumValue("camera", SignalingCameraState.self),
                microphone: try f.enumValue("microphone", SignalingMicrophoneState.self)))
        case .ping:
            return .ping
        case .pong:
            return .pong
        case .error:
            let code = try f.string("code", maxLength: 64)
            guard SignalingText.isIdentifier(code, maxLength: 64) else {
                throw .invalidField(f.path("code"), expected: "identifier")
            }
            return .error(SignalingErrorPayload(
                code: SignalingErrorCode(rawValue: code),
                message: try f.string("message", maxLength: 1024),
                inReplyTo: try f.optionalIdentifier("inReplyTo")))
        }
    }

    private static func iceServer(_ f: SignalingFieldReader) throws(SignalingError) -> SignalingICEServer {
        // WebRTC allows `urls` to be one string or a list.
        var urls: [String]
        if case .string = f.fields["urls"] {
            urls = [try f.string("urls", maxLength: 512)]
        } else {
            urls = []
            for (path, element) in try f.array("urls", maxCount: 16) {
                guard case .string(let s) = element, s.utf8.count <= 512 else {
                    throw .invalidField(path, expected: "string of at most 512 bytes")
                }
                urls.append(s)
            }
        }
        guard !urls.isEmpty else { throw .invalidField(f.path("urls"), expected: "at least one URL") }
        return SignalingICEServer(urls: urls,
                                  username: try f.optionalString("username", maxLength: 512),
                                  credential: try f.optionalString("credential", maxLength: 512))
    }

    private static func appointment(_ f: SignalingFieldReader) throws(SignalingError) -> SignalingAppointment {
        let t = try f.object("telehealth")
        var reasons: [SignalingReason] = []
        for (path, element) in try t.array("reasons", maxCount: 32) {
            let r = try SignalingFieldReader(element, path: path)
            reasons.append(SignalingReason(code: try r.identifier("code"), message: try r.string("message", maxLength: 1024)))
        }
        return SignalingAppointment(
            id: try f.identifier("id"),
            clinicianDisplayName: try f.string("clinicianDisplayName", maxLength: 256),
            scheduledAt: try f.string("scheduledAt", maxLength: 64),
            timeZone: try f.string("timeZone", maxLength: 64),
            telehealth: SignalingTelehealth(
                eligible: try t.bool("eligible"),
                reasons: reasons,
                opensAt: try t.string("opensAt", maxLength: 64),
                closesAt: try t.string("closesAt", maxLength: 64)))
    }
}
