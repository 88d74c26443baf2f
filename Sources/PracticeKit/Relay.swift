import Foundation
import Logging
import Signaling

/// A WebSocket connection, numbered by the hub. Appears in logs (never an address).
struct RelayConnectionID: Hashable, Sendable, CustomStringConvertible {
    var raw: UInt64
    var description: String { "conn-\(raw)" }
}

/// The practice endpoint's signaling logic as a sans-IO value: connections, endpoint sessions,
/// appointment rooms and the appointment book. Inputs are calls with `now`; effects come back
/// as `Output`s that the hub performs. See docs/signaling.md for the rules implemented here.
public struct Relay {
    public struct Settings: Sendable {
        public var dev: Bool
        public var heartbeatIntervalMs: Int
        /// How long a session whose connection dropped keeps its room place.
        public var grace: TimeInterval
        /// A connection is closed when silent for this many heartbeat intervals.
        public var deadAfterHeartbeats: Int
        public var helloTimeout: TimeInterval
        public var iceServers: [SignalingICEServer]
        /// Time-limited TURN credentials issued to each connection in its `welcome`, after
        /// `iceServers`.
        public var turn: TURNCredentials?
        /// Each kiosk's own token (not used in dev mode, where any token is accepted).
        public var kioskTokens: KioskCredentials
        /// Messages kept for a session while its connection is down.
        public var pendingLimit: Int

        public init(dev: Bool = false, heartbeatIntervalMs: Int = 15_000, grace: TimeInterval = 30, deadAfterHeartbeats: Int = 3,
                    helloTimeout: TimeInterval = 10, iceServers: [SignalingICEServer] = [], turn: TURNCredentials? = nil,
                    kioskTokens: KioskCredentials = [:], pendingLimit: Int = 256) {
            self.dev = dev
            self.heartbeatIntervalMs = heartbeatIntervalMs
            self.grace = grace
            self.deadAfterHeartbeats = deadAfterHeartbeats
            self.helloTimeout = helloTimeout
            self.iceServers = iceServers
            self.turn = turn
            self.kioskTokens = kioskTokens
            self.pendingLimit = pendingLimit
        }
    }

    enum Output: Equatable, Sendable {
        case send(RelayConnectionID, String)
        case close(RelayConnectionID)
        case log(Logger.Level, String, [String: String])
    }

    private struct Connection {
        var clinicianFromURL: String?
        /// The signed-in clinician whose session cookie came with the WebSocket upgrade.
        var signedInClinician: String?
        var sessionId: String?
        var openedAt: Date
        var lastReceived: Date
    }

    private struct Session {
        var id: String
        var role: SignalingRole
        var identity: String
        var connection: RelayConnectionID?
        var disconnectedAt: Date?
        var room: String?
        var pending: [String] = []
    }

    private struct Room {
        var members: [SignalingRole: String] = [:]  // role → session id
        var offerer: SignalingRole = .clinician
        var ended = false
        /// The role whose offer awaits an answer (answers without one are out of order).
        var outstandingOffer: SignalingRole?
    }

    let settings: Settings
    var book: AppointmentBook
    private var connections: [RelayConnectionID: Connection] = [:]
    private var sessions: [String: Session] = [:]
    private var sessionByIdentity: [String: String] = [:]
    private var rooms: [String: Room] = [:]
    /// kioskId → the reason codes of the last `assignment` sent to it (nil: none sent), so
    /// `tick` can re-send when the window opens or closes.
    private var sentReasons: [String: [String]?] = [:]
    private var outputs: [Output] = []
    private var makeSessionId: @Sendable () -> String

    init(settings: Settings, book: AppointmentBook,
         makeSessionId: @escaping @Sendable () -> String = { "s-" + String(UInt64.random(in: 0...UInt64.max), radix: 36) }) {
        self.settings = settings
        self.book = book
        self.makeSessionId = makeSessionId
    }

    // MARK: - Inputs

    mutating func opened(_ c: RelayConnectionID, clinicianFromURL: String?, signedInClinician: String? = nil,
                         at now: Date) -> [Output] {
        connections[c] = Connection(clinicianFromURL: clinicianFromURL, signedInClinician: signedInClinician,
                                    openedAt: now, lastReceived: now)
        log(.info, "connection opened", ["conn": c.description])
        return take()
    }

    mutating func received(_ c: RelayConnectionID, text: String, at now: Date) -> [Output] {
        guard var conn = connections[c] else { return take() }
        conn.lastReceived = now
        connections[c] = conn
        let envelope: SignalingEnvelope
        do {
            envelope = try SignalingEnvelope.decode(text)
        } catch {
            reply(c, .init(code: error.code, message: error.description, inReplyTo: SignalingEnvelope.idHint(in: text)))
            log(.notice, "rejected message", ["conn": c.description, "error": error.code.rawValue])
            return take()
        }
        handle(envelope, from: c, at: now)
        return take()
    }

    mutating func receivedBinary(_ c: RelayConnectionID, at now: Date) -> [Output] {
        connections[c]?.lastReceived = now
        reply(c, .init(code: .malformed, message: "signaling uses text frames"))
        log(.notice, "rejected message", ["conn": c.description, "error": "binary-frame"])
        return take()
    }

    mutating func closed(_ c: RelayConnectionID, at now: Date) -> [Output] {
        guard let conn = connections.removeValue(forKey: c) else { return take() }
        if let sid = conn.sessionId, var s = sessions[sid], s.connection == c {
            // Keep the room place for `grace`: the call's media does not need signaling.
            s.connection = nil
            s.disconnectedAt = now
            sessions[sid] = s
        }
        log(.info, "connection closed", ["conn": c.description])
        return take()
    }

    /// Expires sessions and dead connections; the hub calls it about once a second.
    mutating func tick(at now: Date) -> [Output] {
        for s in sessions.values {
            if let t = s.disconnectedAt, now.timeIntervalSince(t) >= settings.grace {
                log(.info, "session expired", ["session": s.id, "role": s.role.rawValue])
                removeSession(s.id, peerReason: .timeout)
            }
        }
        refreshAssignments(at: now)
        let silentLimit = Double(settings.heartbeatIntervalMs * settings.deadAfterHeartbeats) / 1000
        for (c, conn) in connections {
            if conn.sessionId == nil, now.timeIntervalSince(conn.openedAt) >= settings.helloTimeout {
                reply(c, .init(code: .notAuthenticated, message: "no hello within \(Int(settings.helloTimeout)) s"))
                outputs.append(.close(c))
                log(.notice, "closing connection without hello", ["conn": c.description])
            } else if now.timeIntervalSince(conn.lastReceived) >= silentLimit {
                outputs.append(.close(c))
                log(.notice, "closing silent connection", ["conn": c.description])
            }
        }
        return take()
    }

    /// A clinician signed out or was removed: their signaling session ends and its connection
    /// closes, so a WebSocket opened with the old cookie does not outlive it.
    mutating func signedOut(clinicianId: String, at now: Date) -> [Output] {
        let key = Self.identityKey(.clinician, clinicianId)
        for (c, conn) in connections where conn.signedInClinician == clinicianId {
            reply(c, .init(code: .notAuthenticated, message: "signed out"))
            outputs.append(.close(c))
            connections[c]?.signedInClinician = nil
        }
        if let sid = sessionByIdentity[key] {
            removeSession(sid, peerReason: .left)
            log(.info, "clinician signed out", ["session": sid])
        }
        return take()
    }

    // MARK: - Appointment book

    /// Sets which appointment a kiosk shows and tells the kiosk if it is connected.
    mutating func assign(kioskId: String, appointmentId: String?, at now: Date) -> [Output] {
        book.assign(kioskId: kioskId, appointmentId: appointmentId)
        if let sid = sessionByIdentity[Self.identityKey(.kiosk, kioskId)] {
            sendAssignment(kioskId: kioskId, to: sid, at: now)
        }
        log(.info, "assignment changed", ["kiosk": kioskId, "appointment": appointmentId ?? "none"])
        return take()
    }

    /// Saves an appointment; kiosks showing it get the updated `assignment`.
    mutating func upsert(_ a: Appointment, at now: Date) -> (created: Bool, outputs: [Output]) {
        let created = book.upsert(a)
        for (kiosk, appt) in book.assignments.sorted(by: { $0.key < $1.key }) where appt == a.id {
            if let sid = sessionByIdentity[Self.identityKey(.kiosk, kiosk)] {
                sendAssignment(kioskId: kiosk, to: sid, at: now)
            }
        }
        log(.info, created ? "appointment created" : "appointment updated", ["appointment": a.id])
        return (created, take())
    }

    /// Tells a kiosk its appointment as the rules see it now, remembering what it was told.
    private mutating func sendAssignment(kioskId: String, to sid: String, at now: Date) {
        let appointment = book.assignment(kioskId: kioskId)?.signaling(at: now)
        sentReasons[kioskId] = .some(appointment?.telehealth.reasons.map(\.code))
        deliver(to: sid, .assignment(appointment))
    }

    /// Time alone changes eligibility (the window opens, then closes): re-send `assignment` to
    /// each connected kiosk whose appointment's reasons differ from what it was last told.
    private mutating func refreshAssignments(at now: Date) {
        for (kiosk, appt) in book.assignments.sorted(by: { $0.key < $1.key }) {
            guard let sid = sessionByIdentity[Self.identityKey(.kiosk, kiosk)], sessions[sid]?.connection != nil,
                  let a = book[appt] else { continue }
            let codes = TelehealthRules.evaluate(a, at: now).reasons.map(\.code)
            guard let sent = sentReasons[kiosk], sent != codes else { continue }
            sendAssignment(kioskId: kiosk, to: sid, at: now)
            log(.info, "assignment refreshed", ["kiosk": kiosk, "appointment": appt, "eligible": "\(codes.isEmpty)"])
        }
    }

    // MARK: - Messages

    private mutating func handle(_ e: SignalingEnvelope, from c: RelayConnectionID, at now: Date) {
        let type = e.message.type
        guard let sid = connections[c]?.sessionId, let session = sessions[sid] else {
            switch e.message {
            case .hello(let h): accept(h, id: e.id, from: c, at: now)
            case .ping: send(c, SignalingEnvelope(.pong, id: e.id))
            case .pong, .error: break
            default: refuse(c, e, .notAuthenticated, "send hello first")
            }
            return
        }
        if type.isFromEndpoint {
            refuse(c, e, .unexpected, "\(type.rawValue) is sent by the endpoint only")
            return
        }
        switch e.message {
        case .hello:
            refuse(c, e, .alreadyAuthenticated, "hello was already accepted")
        case .ping:
            send(c, SignalingEnvelope(.pong, id: e.id))
        case .pong:
            break
        case .error(let payload):
            // The code is an identifier (checked by the decoder), so safe to log.
            log(.notice, "peer reported error", ["conn": c.description, "code": payload.code.rawValue])
        case .join(let appt, let offerer):
            join(session, appt, offerer: offerer, rejoin: false, e, c, at: now)
        case .rejoin(let appt, let offerer):
            join(session, appt, offerer: offerer, rejoin: true, e, c, at: now)
        case .leave(let appt):
            guard session.room == appt else { return refuse(c, e, .notInSession, "not in appointment \(appt)") }
            leaveRoom(sid, reason: .left)
            log(.info, "left room", ["appointment": appt, "role": session.role.rawValue])
        case .end(let appt):
            guard session.room == appt else { return refuse(c, e, .notInSession, "not in appointment \(appt)") }
            end(appt, by: session.role)
        default:
            relay(e, from: session, c)
        }
    }

    private mutating func accept(_ h: SignalingHello, id: String?, from c: RelayConnectionID, at now: Date) {
        guard let conn = connections[c] else { return }
        let identity: String
        switch h.role {
        case .kiosk:
            guard let kioskId = h.kioskId else { return refuse(c, id, .invalidField, "kioskId is required") }
            if !settings.dev, !settings.kioskTokens.verify(kioskId: kioskId, token: h.token) {
                // The id only: the token presented is never logged.
                log(.notice, "kiosk refused", ["kiosk": kioskId])
                return refuse(c, id, .unauthorized, "unknown kiosk or wrong token")
            }
            // A browser playing the kiosk may carry a clinician's cookie; it is not this
            // connection's identity, and that clinician signing out does not end the kiosk.
            connections[c]?.signedInClinician = nil
            identity = kioskId
        case .clinician:
            if let a = conn.clinicianFromURL, let b = h.clinicianId, a != b {
                return refuse(c, id, .unauthorized, "clinicianId differs from the connection's clinician")
            }
            if settings.dev {
                guard let who = conn.clinicianFromURL ?? h.clinicianId else {
                    return refuse(c, id, .unauthorized, "name the clinician (clinicianId or ?clinician=)")
                }
                identity = who
            } else {
                // Outside dev mode the session cookie says who this is; a name in the hello or the
                // URL may only repeat it.
                guard let who = conn.signedInClinician else {
                    log(.notice, "clinician refused", ["conn": c.description, "reason": "not-signed-in"])
                    return refuse(c, id, .unauthorized, "sign in as a clinician first")
                }
                if let named = h.clinicianId ?? conn.clinicianFromURL, named != who {
                    log(.notice, "clinician refused", ["conn": c.description, "reason": "other-clinician"])
                    return refuse(c, id, .unauthorized, "signed in as another clinician")
                }
                identity = who
            }
        }
        let key = Self.identityKey(h.role, identity)

        var resumed = false
        let sid: String
        if let wanted = h.sessionId, var s = sessions[wanted], s.role == h.role, s.identity == identity {
            if let old = s.connection, old != c { supersede(old) }
            s.connection = c
            s.disconnectedAt = nil
            sessions[wanted] = s
            sid = wanted
            resumed = true
        } else {
            if let old = sessionByIdentity[key] {
                if let oldConn = sessions[old]?.connection { supersede(oldConn) }
                removeSession(old, peerReason: .replaced)
            }
            sid = makeSessionId()
            sessions[sid] = Session(id: sid, role: h.role, identity: identity, connection: c)
            sessionByIdentity[key] = sid
        }
        connections[c]?.sessionId = sid
        // TURN credentials are issued afresh on every welcome (a resume too), each naming its holder.
        let iceServers = settings.iceServers + (settings.turn.map { [$0.iceServer(for: identity, at: now)] } ?? [])
        send(c, SignalingEnvelope(.welcome(SignalingWelcome(
            sessionId: sid, heartbeatIntervalMs: settings.heartbeatIntervalMs,
            iceServers: iceServers, resumed: resumed))))
        if h.role == .kiosk {
            sendAssignment(kioskId: identity, to: sid, at: now)
        }
        var meta = ["conn": c.description, "role": h.role.rawValue, "session": sid, "resumed": "\(resumed)"]
        if h.role == .kiosk { meta["kiosk"] = identity }
        log(.info, "hello accepted", meta)
        if resumed, let s = sessions[sid], !s.pending.isEmpty {
            for text in s.pending { outputs.append(.send(c, text)) }
            sessions[sid]?.pending.removeAll()
        }
    }

    private mutating func join(_ s: Session, _ appt: String, offerer: SignalingRole?, rejoin: Bool,
                               _ e: SignalingEnvelope, _ c: RelayConnectionID, at now: Date) {
        guard let a = book[appt] else { return refuse(c, e, .unknownAppointment, "no appointment \(appt)") }
        if s.role == .kiosk, book.assignments[s.identity] != appt {
            return refuse(c, e, .unauthorized, "this kiosk is not assigned to appointment \(appt)")
        }
        // The same rules as the API's telehealth check; a clinician must be the appointment's.
        let decision = TelehealthRules.evaluate(a, at: now, clinicianId: s.role == .clinician ? s.identity : nil)
        guard decision.eligible else {
            return refuse(c, e, .notEligible, decision.reasons.map(\.code).joined(separator: ","))
        }
        if rejoin, rooms[appt] == nil {
            return refuse(c, e, .noSessionToRejoin, "appointment \(appt) has no session to rejoin; send join")
        }
        var room = rooms[appt] ?? Room()
        if let other = room.members[s.role], other != s.id {
            return refuse(c, e, .unexpected, "another \(s.role.rawValue) is in appointment \(appt)")
        }
        if let current = s.room, current != appt { leaveRoom(s.id, reason: .left) }
        let already = room.members[s.role] == s.id
        room.members[s.role] = s.id
        room.ended = false
        if s.role == .clinician, !already || offerer != nil { room.offerer = offerer ?? .clinician }
        rooms[appt] = room
        sessions[s.id]?.room = appt

        let peerRole: SignalingRole = s.role == .kiosk ? .clinician : .kiosk
        let peer = room.members[peerRole]
        send(c, SignalingEnvelope(.joined(appointmentId: appt, peerPresent: peer != nil), id: e.id))
        log(.info, rejoin ? "rejoined room" : "joined room",
            ["appointment": appt, "role": s.role.rawValue, "peerPresent": "\(peer != nil)"])
        guard let peer else { return }
        rooms[appt]?.outstandingOffer = nil
        deliver(to: s.id, .peerJoined(appointmentId: appt, role: peerRole, offerer: room.offerer))
        if !already {
            deliver(to: peer, .peerJoined(appointmentId: appt, role: s.role, offerer: room.offerer))
        }
    }

    private mutating func relay(_ e: SignalingEnvelope, from s: Session, _ c: RelayConnectionID) {
        guard let appt = s.room, var room = rooms[appt] else {
            return refuse(c, e, .notInSession, "join an appointment before \(e.message.type.rawValue)")
        }
        let peerRole: SignalingRole = s.role == .kiosk ? .clinician : .kiosk
        guard let peer = room.members[peerRole] else {
            return refuse(c, e, .peerAbsent, "the \(peerRole.rawValue) is not in the room")
        }
        switch e.message {
        case .offer:
            room.outstandingOffer = s.role
        case .answer:
            guard room.outstandingOffer == peerRole else {
                return refuse(c, e, .unexpected, "answer without an offer from the \(peerRole.rawValue)")
            }
            room.outstandingOffer = nil
        default:
            break
        }
        rooms[appt] = room
        deliver(to: peer, e)
        log(.debug, "relayed", ["appointment": appt, "type": e.message.type.rawValue, "from": s.role.rawValue])
    }

    private mutating func end(_ appt: String, by role: SignalingRole) {
        guard var room = rooms[appt] else { return }
        let message = SignalingMessage.sessionEnded(appointmentId: appt, by: role)
        for sid in room.members.values {
            deliver(to: sid, message)
            sessions[sid]?.room = nil
        }
        room.members.removeAll()
        room.ended = true
        room.outstandingOffer = nil
        rooms[appt] = room
        log(.info, "session ended", ["appointment": appt, "by": role.rawValue])
    }

    // MARK: - Helpers

    private mutating func leaveRoom(_ sid: String, reason: SignalingPeerLeftReason) {
        guard let s = sessions[sid], let appt = s.room, var room = rooms[appt] else { return }
        room.members[s.role] = nil
        room.outstandingOffer = nil
        rooms[appt] = room
        sessions[sid]?.room = nil
        for other in room.members.values {
            deliver(to: other, .peerLeft(appointmentId: appt, role: s.role, reason: reason))
        }
    }

    private mutating func removeSession(_ sid: String, peerReason: SignalingPeerLeftReason) {
        leaveRoom(sid, reason: peerReason)
        guard let s = sessions.removeValue(forKey: sid) else { return }
        let key = Self.identityKey(s.role, s.identity)
        if sessionByIdentity[key] == sid { sessionByIdentity[key] = nil }
        if let c = s.connection { connections[c]?.sessionId = nil }
    }

    private mutating func supersede(_ c: RelayConnectionID) {
        reply(c, .init(code: .superseded, message: "a newer connection took over this session"))
        outputs.append(.close(c))
        connections[c]?.sessionId = nil
    }

    /// Sends to a session's live connection, or keeps it until the session resumes.
    private mutating func deliver(to sid: String, _ m: SignalingMessage) {
        deliver(to: sid, SignalingEnvelope(m))
    }

    private mutating func deliver(to sid: String, _ e: SignalingEnvelope) {
        guard let s = sessions[sid] else { return }
        if let c = s.connection {
            send(c, e)
        } else {
            var pending = s.pending
            if pending.count >= settings.pendingLimit { pending.removeFirst() }
            pending.append(e.text)
            sessions[sid]?.pending = pending
        }
    }

    private mutating func send(_ c: RelayConnectionID, _ e: SignalingEnvelope) {
        outputs.append(.send(c, e.text))
    }

    private mutating func reply(_ c: RelayConnectionID, _ payload: SignalingErrorPayload) {
        send(c, SignalingEnvelope(.error(payload)))
    }

    private mutating func refuse(_ c: RelayConnectionID, _ e: SignalingEnvelope, _ code: SignalingErrorCode, _ message: String) {
        refuse(c, e.id, code, message, type: e.message.type)
    }

    private mutating func refuse(_ c: RelayConnectionID, _ id: String?, _ code: SignalingErrorCode, _ message: String,
                                 type: SignalingMessageType = .hello) {
        reply(c, .init(code: code, message: message, inReplyTo: id))
        log(.notice, "refused message", ["conn": c.description, "type": type.rawValue, "error": code.rawValue])
    }

    private mutating func log(_ level: Logger.Level, _ message: String, _ metadata: [String: String]) {
        outputs.append(.log(level, message, metadata))
    }

    private mutating func take() -> [Output] {
        defer { outputs.removeAll() }
        return outputs
    }

    private static func identityKey(_ role: SignalingRole, _ id: String) -> String { "\(role.rawValue):\(id)" }
}
