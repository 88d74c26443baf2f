import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import PracticeKit
import Signaling
import Synchronization
import Testing

/// Production mode over real HTTP (in-process, plain HTTP on loopback: TLS is the page test's
/// part): every route × every role × {no credential, wrong credential, right credential}.
@Suite(.serialized) struct AuthorizationTests {
    static let now = PracticeTime.parse("2025-03-04T17:00:00-06:00")!
    static let ada = "Ada Lovelace"      // dr-a's patient
    static let grace = "Grace Hopper"    // dr-b's patient

    /// Made once: each hash costs 210 000 PBKDF2 iterations.
    static let users: [PracticeUser] = ["dr-a": PracticeRole.clinician, "dr-b": .clinician, "desk": .frontdesk, "root": .admin]
        .sorted { $0.key < $1.key }
        .map { PracticeUser(id: $0.key, role: $0.value, password: try! PasswordHash.make(password(for: $0.key))) }

    static func password(for id: String) -> String { "pw-\(id)-long-enough" }

    static func book() -> AppointmentBook {
        var book = AppointmentBook()
        for (id, clinician, patient) in [("appt-a", "dr-a", ada), ("appt-b", "dr-b", grace)] {
            _ = book.upsert(Appointment(id: id, type: "Individual", scheduledAt: now, timeZone: "America/Chicago", status: .scheduled,
                                        patient: .init(name: patient, portalAccount: true),
                                        clinician: .init(id: clinician, name: "Dr. \(clinician)", role: .clinician)))
        }
        book.assign(kioskId: "kiosk-1", appointmentId: "appt-a")
        return book
    }

    struct Reply: Sendable {
        var status: Int
        var text: String
        var headers: [String: String]
        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] }
        var errorCode: String? { (json?["error"] as? [String: Any])?["code"] as? String }
    }

    /// A client that keeps no cookies of its own: each request carries exactly what it is given.
    static let session: URLSession = {
        let c = URLSessionConfiguration.ephemeral
        c.httpCookieStorage = nil
        c.httpShouldSetCookies = false
        c.httpCookieAcceptPolicy = .never
        return URLSession(configuration: c)
    }()

    static func call(_ method: String, _ url: String, _ body: String? = nil, cookie: String? = nil, csrf: String? = nil) async throws -> Reply {
        var request = URLRequest(url: URL(string: url)!, timeoutInterval: 10)
        request.httpMethod = method
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let cookie { request.setValue("\(AccessControl.cookieName)=\(cookie)", forHTTPHeaderField: "Cookie") }
        if let csrf { request.setValue(csrf, forHTTPHeaderField: "X-CSRF-Token") }
        return try await withCheckedThrowingContinuation { continuation in
            session.dataTask(with: request) { data, response, error in
                if let error { continuation.resume(throwing: error); return }
                let http = response as? HTTPURLResponse
                var headers: [String: String] = [:]
                for (k, v) in http?.allHeaderFields ?? [:] { headers[String(describing: k).lowercased()] = String(describing: v) }
                continuation.resume(returning: Reply(status: http?.statusCode ?? 0, text: String(decoding: data ?? Data(), as: UTF8.self),
                                                     headers: headers))
            }.resume()
        }
    }

    /// Signed in: the cookie's value and the CSRF token.
    struct Credential: Sendable {
        var cookie: String
        var csrf: String
    }

    static func signIn(_ base: String, _ id: String) async throws -> Credential {
        let r = try await call("POST", "\(base)/api/session", #"{"id":"\#(id)","password":"\#(password(for: id))"}"#)
        #expect(r.status == 200, "\(id): \(r.text)")
        let setCookie = r.headers["set-cookie"] ?? ""
        let value = setCookie.split(separator: ";").first.map { String($0.dropFirst(AccessControl.cookieName.count + 1)) } ?? ""
        return Credential(cookie: value, csrf: r.json?["csrfToken"] as? String ?? "")
    }

    static func withServer(kiosks: KioskCredentials = [:], logs: LogCapture = LogCapture(), sessionCheck: Duration = .seconds(5),
                           clock: @escaping @Sendable () -> Date = { now }, _ body: @Sendable (_ base: String, _ port: Int) async throws -> Void) async throws {
        var options = PracticeServer.Options()
        options.port = 0
        options.relay = Relay.Settings(dev: false, kioskTokens: kiosks)
        options.users = users
        options.sessionCheckInterval = sessionCheck
        let server = PracticeServer(options: options, book: book(), logger: logs.logger(level: .debug), clock: clock)
        let (ports, portSignal) = AsyncStream<Int>.makeStream()
        let task = Task { try await server.run(handleSignals: false) { portSignal.yield($0) } }
        defer { task.cancel() }
        var it = ports.makeAsyncIterator()
        guard let port = await it.next(), port > 0 else { throw WSPeer.Timeout(description: "server did not start") }
        try await body("http://127.0.0.1:\(port)", port)
        task.cancel()
        _ = await task.result
        for line in logs.all {
            #expect(!line.contains(ada) && !line.contains(grace) && !line.contains("127.0.0.1") && !line.contains("pw-"), "\(line)")
        }
    }

    /// Who calls: nobody, a forged session, or a signed-in user.
    enum Caller: String, CustomStringConvertible, CaseIterable {
        case none, wrong, clinician, frontdesk, admin
        var description: String { rawValue }
        var userId: String? {
            switch self {
            case .none, .wrong: nil
            case .clinician: "dr-a"
            case .frontdesk: "desk"
            case .admin: "root"
            }
        }
    }

    struct Route: CustomStringConvertible {
        var method: String
        var path: String
        var body: String?
        /// The status for each signed-in role; no credential and a wrong one are always 401.
        var clinician: Int
        var frontdesk: Int
        var admin: Int
        var description: String { "\(method) \(path)" }
    }

    static let newAppointment = #"""
        {"id":"appt-n","type":"Individual","scheduledAt":"2025-03-04T17:00:00-06:00","timeZone":"America/Chicago",
         "status":"Scheduled","patient":{"name":"Ada Lovelace","portalAccount":true},"clinician":{"id":"dr-a","name":"Dr. A","role":"Clinician"}}
        """#

    /// Every route of the API and who may call it. Writes come after the reads (they change the
    /// book); each role's writes are independent of the others' (no route's answer depends on
    /// whether another role's write went through).
    static let routes: [Route] = [
        Route(method: "GET", path: "/api/session", clinician: 200, frontdesk: 200, admin: 200),
        Route(method: "GET", path: "/api/appointments", clinician: 200, frontdesk: 200, admin: 403),
        Route(method: "GET", path: "/api/appointments?clinician=dr-b", clinician: 200, frontdesk: 200, admin: 403),
        Route(method: "GET", path: "/api/appointments/appt-a", clinician: 200, frontdesk: 200, admin: 403),
        Route(method: "GET", path: "/api/appointments/appt-b", clinician: 404, frontdesk: 200, admin: 403),
        Route(method: "GET", path: "/api/appointments/appt-a/telehealth", clinician: 200, frontdesk: 200, admin: 403),
        Route(method: "GET", path: "/api/appointments/appt-b/telehealth", clinician: 404, frontdesk: 200, admin: 403),
        Route(method: "GET", path: "/api/kiosks/kiosk-1/assignment", clinician: 403, frontdesk: 200, admin: 403),
        Route(method: "GET", path: "/api/users", clinician: 403, frontdesk: 403, admin: 200),
        Route(method: "PUT", path: "/api/appointments/appt-b/draft", body: #"{"type":"Couples"}"#, clinician: 403, frontdesk: 200, admin: 403),
        Route(method: "DELETE", path: "/api/appointments/appt-b/draft", clinician: 403, frontdesk: 200, admin: 403),
        Route(method: "PATCH", path: "/api/appointments/appt-b", body: #"{"status":"Scheduled"}"#, clinician: 403, frontdesk: 200, admin: 403),
        Route(method: "POST", path: "/api/kiosks/kiosk-2/assignment", body: #"{"appointmentId":"appt-b"}"#,
              clinician: 403, frontdesk: 200, admin: 403),
        Route(method: "POST", path: "/api/appointments", body: newAppointment, clinician: 403, frontdesk: 201, admin: 403),
        Route(method: "POST", path: "/api/users", body: #"{"id":"dr-new","role":"clinician","password":"a new password"}"#,
              clinician: 403, frontdesk: 403, admin: 201),
        Route(method: "DELETE", path: "/api/users/dr-b", clinician: 403, frontdesk: 403, admin: 200),
        Route(method: "DELETE", path: "/api/session", clinician: 200, frontdesk: 200, admin: 200),
    ]

    @Test(.timeLimit(.minutes(2))) func everyRouteForEveryRoleWithNoneWrongAndRightCredentials() async throws {
        try await Self.withServer { base, _ in
            var credentials: [String: Credential] = [:]
            for id in ["dr-a", "desk", "root"] { credentials[id] = try await Self.signIn(base, id) }
            var table: [String] = []
            for route in Self.routes {
                for caller in Caller.allCases {
                    let expected: Int
                    var cookie: String?, csrf: String?
                    switch caller {
                    case .none:
                        expected = 401
                    case .wrong:
                        expected = 401
                        // A well-formed value the server never issued, with a matching-looking token.
                        cookie = RandomSecret.token()
                        csrf = RandomSecret.token()
                    case .clinician, .frontdesk, .admin:
                        let c = try #require(credentials[caller.userId ?? ""])
                        cookie = c.cookie
                        csrf = c.csrf
                        expected = caller == .clinician ? route.clinician : caller == .frontdesk ? route.frontdesk : route.admin
                    }
                    let r = try await Self.call(route.method, base + route.path, route.body, cookie: cookie, csrf: csrf)
                    table.append("\(route) as \(caller): \(r.status)")
                    #expect(r.status == expected, "\(route) as \(caller): \(r.status) \(r.text)")
                    if r.status >= 400 { #expect(r.errorCode != nil, "\(route) as \(caller): JSON error body") }
                    if caller == .none || caller == .wrong { #expect(r.errorCode == "unauthorized") }
                    if r.status == 403 { #expect(r.errorCode == "forbidden", "\(route) as \(caller)") }
                    if caller == .clinician {
                        // A clinician never sees another clinician's appointment or patient (a
                        // 404 only echoes the id that was asked for).
                        #expect(!r.text.contains(Self.grace), "\(route): \(r.text)")
                        if r.status < 300 { #expect(!r.text.contains("appt-b"), "\(route): \(r.text)") }
                    }
                    if caller == .admin { #expect(!r.text.contains(Self.ada) && !r.text.contains(Self.grace)) }
                }
            }
            #expect(table.count == Self.routes.count * Caller.allCases.count)
            // The front desk's writes happened; the clinician's list still holds only their own.
            let desk = try await Self.signIn(base, "desk")
            let all = try await Self.call("GET", "\(base)/api/appointments", cookie: desk.cookie)
            #expect(all.text.contains("appt-n") && all.text.contains(Self.grace))
            let removed = try await Self.call("POST", "\(base)/api/session", #"{"id":"dr-b","password":"\#(Self.password(for: "dr-b"))"}"#)
            #expect(removed.status == 401, "the admin removed dr-b")
            let added = try await Self.call("POST", "\(base)/api/session", #"{"id":"dr-new","password":"a new password"}"#)
            #expect(added.status == 200 && added.json?["role"] as? String == "clinician", "the admin added dr-new")
        }
    }

    @Test func theClinicianListAndTheTelehealthCheckAreTheirOwn() async throws {
        try await Self.withServer { base, _ in
            let a = try await Self.signIn(base, "dr-a")
            let list = try await Self.call("GET", "\(base)/api/appointments", cookie: a.cookie)
            let ids = (try JSONSerialization.jsonObject(with: Data(list.text.utf8)) as? [[String: Any]])?.compactMap { $0["id"] as? String }
            #expect(ids == ["appt-a"])
            #expect(list.text.contains(Self.ada) && !list.text.contains(Self.grace))
            // Naming another clinician in the query changes nothing about whose they are.
            let other = try await Self.call("GET", "\(base)/api/appointments?clinician=dr-b", cookie: a.cookie)
            #expect(other.status == 200 && other.text == "[]")
            let check = try await Self.call("GET", "\(base)/api/appointments/appt-a/telehealth?clinician=dr-b", cookie: a.cookie)
            #expect(check.json?["eligible"] as? Bool == true, "asked as themselves whatever the query says: \(check.text)")
        }
    }

    @Test func stateChangingRequestsNeedTheSessionsCSRFToken() async throws {
        try await Self.withServer { base, _ in
            let desk = try await Self.signIn(base, "desk")
            let root = try await Self.signIn(base, "root")
            let url = "\(base)/api/kiosks/kiosk-1/assignment"
            let body = #"{"appointmentId":"appt-b"}"#
            let missing = try await Self.call("POST", url, body, cookie: desk.cookie)
            #expect(missing.status == 403 && missing.errorCode == "csrf")
            let wrong = try await Self.call("POST", url, body, cookie: desk.cookie, csrf: desk.csrf + "x")
            #expect(wrong.status == 403 && wrong.errorCode == "csrf")
            let anothers = try await Self.call("POST", url, body, cookie: desk.cookie, csrf: root.csrf)
            #expect(anothers.status == 403 && anothers.errorCode == "csrf", "bound to the session, not just any token")
            #expect(try await Self.call("GET", url, cookie: desk.cookie).text.contains("appt-a"), "nothing changed")
            let right = try await Self.call("POST", url, body, cookie: desk.cookie, csrf: desk.csrf)
            #expect(right.status == 200 && right.text.contains("appt-b"))
            // Reads need none; sign-out does.
            #expect(try await Self.call("GET", url, cookie: desk.cookie).status == 200)
            #expect(try await Self.call("DELETE", "\(base)/api/session", cookie: desk.cookie).status == 403)
            for method in ["PUT", "PATCH", "DELETE"] {
                let r = try await Self.call(method, "\(base)/api/appointments/appt-a\(method == "PATCH" ? "" : "/draft")",
                                            method == "DELETE" ? nil : #"{"type":"Couples"}"#, cookie: desk.cookie)
                #expect(r.status == 403 && r.errorCode == "csrf", "\(method)")
            }
        }
    }

    /// A clinician's signaling ends with their session: an open page keeps the session from
    /// idling out, but when its lifetime ends the WebSocket is closed, not left talking.
    @Test(.timeLimit(.minutes(1))) func theClinicianWebSocketEndsWithTheSession() async throws {
        let clock = Mutex(Self.now)
        try await Self.withServer(sessionCheck: .milliseconds(100), clock: { clock.withLock { $0 } }) { base, port in
            let credential = try await Self.signIn(base, "dr-a")
            let ws = try await WSPeer.connect("ws://127.0.0.1:\(port)/ws", headers: [
                "Cookie": "\(AccessControl.cookieName)=\(credential.cookie)", "Origin": base,
            ])
            ws.send(.hello(SignalingHello(role: .clinician, clinicianId: "dr-a", software: "t")), id: "h")
            guard case .welcome = try await ws.nextMessage() else { Issue.record("no welcome"); return }
            // 40 minutes in steps of 40 s, the page pinging as it does but making no HTTP
            // request: past the 30-minute idle timeout counted from sign-in, yet the open
            // WebSocket kept the session alive.
            for step in 0..<60 {
                clock.withLock { $0 += 40 }
                try await Task.sleep(for: .milliseconds(120))
                ws.send(.ping, id: "p\(step)")
                #expect(try await ws.next() == SignalingEnvelope(.pong, id: "p\(step)"))
            }
            #expect(try await Self.call("GET", "\(base)/api/session", cookie: credential.cookie).status == 200)
            // Past the session's 12-hour lifetime: the WebSocket is closed.
            clock.withLock { $0 += 13 * 3600 }
            #expect(try await ws.waitUntilClosed(within: .seconds(3)), "the WebSocket outlived its session")
        }
    }

    @Test func signInSetsAStrictCookieAndSignOutEndsTheSession() async throws {
        try await Self.withServer { base, _ in
            let r = try await Self.call("POST", "\(base)/api/session", #"{"id":"dr-a","password":"pw-dr-a-long-enough"}"#)
            #expect(r.status == 200)
            let setCookie = try #require(r.headers["set-cookie"])
            let attributes = setCookie.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(attributes.first?.hasPrefix("practice_session=") == true)
            #expect(Set(attributes.dropFirst()) == ["Path=/", "HttpOnly", "Secure", "SameSite=Strict"], "\(setCookie)")
            #expect(r.json?["id"] as? String == "dr-a" && r.json?["role"] as? String == "clinician")
            let csrf = try #require(r.json?["csrfToken"] as? String)
            #expect(!setCookie.contains(csrf), "the CSRF token is not the cookie")
            let cookie = String(attributes[0].dropFirst("practice_session=".count))

            let me = try await Self.call("GET", "\(base)/api/session", cookie: cookie)
            #expect(me.status == 200 && me.json?["csrfToken"] as? String == csrf, "the page gets its token back after a reload")
            let out = try await Self.call("DELETE", "\(base)/api/session", cookie: cookie, csrf: csrf)
            #expect(out.status == 200)
            #expect(out.headers["set-cookie"]?.contains("Max-Age=0") == true)
            #expect(try await Self.call("GET", "\(base)/api/appointments", cookie: cookie).status == 401)

            let wrong = try await Self.call("POST", "\(base)/api/session", #"{"id":"dr-a","password":"nope"}"#)
            #expect(wrong.status == 401 && wrong.errorCode == "sign-in-refused" && wrong.headers["set-cookie"] == nil)
            let unknown = try await Self.call("POST", "\(base)/api/session", #"{"id":"nobody","password":"nope"}"#)
            #expect(unknown.status == 401 && unknown.text == wrong.text, "an unknown id reads like a wrong password")
            let bad = try await Self.call("POST", "\(base)/api/session", #"{"id":"dr-a"}"#)
            #expect(bad.status == 400 && bad.errorCode == "missing-field")
            for _ in 0..<4 { _ = try await Self.call("POST", "\(base)/api/session", #"{"id":"dr-a","password":"nope"}"#) }
            let locked = try await Self.call("POST", "\(base)/api/session", #"{"id":"dr-a","password":"pw-dr-a-long-enough"}"#)
            #expect(locked.status == 429 && locked.errorCode == "too-many-attempts" && locked.headers["retry-after"] == "30")
        }
    }

    /// The clinician's WebSocket is the session's: no cookie, a forged one, a front-desk one, or a
    /// hello naming another clinician is refused; the right cookie is welcomed, and signing out
    /// closes it. Kiosks present their own token.
    @Test(.timeLimit(.minutes(1))) func theSignalingHelloIsAuthenticated() async throws {
        try await Self.withServer(kiosks: ["kiosk-1": "kiosk-one-token", "kiosk-2": "kiosk-two-token"]) { base, port in
            let ws = "ws://127.0.0.1:\(port)/ws"
            let a = try await Self.signIn(base, "dr-a")
            let desk = try await Self.signIn(base, "desk")
            func hello(_ cookie: String?, clinicianId: String? = nil, origin: String? = nil, query: String = "") async throws -> SignalingMessage {
                var headers: [String: String] = [:]
                if let cookie { headers["Cookie"] = "\(AccessControl.cookieName)=\(cookie)" }
                if let origin { headers["Origin"] = origin }
                let peer = try await WSPeer.connect(ws + query, headers: headers)
                defer { peer.close() }
                peer.send(.hello(SignalingHello(role: .clinician, clinicianId: clinicianId, software: "t")), id: "h")
                return try await peer.nextMessage()
            }
            func refused(_ m: SignalingMessage) -> Bool {
                if case .error(let e) = m { return e.code == .unauthorized }
                return false
            }
            #expect(refused(try await hello(nil)), "no cookie")
            #expect(refused(try await hello(RandomSecret.token())), "a forged cookie")
            #expect(refused(try await hello(desk.cookie)), "the front desk is no clinician")
            #expect(refused(try await hello(a.cookie, clinicianId: "dr-b")), "acting as another clinician")
            #expect(refused(try await hello(a.cookie, query: "?clinician=dr-b")), "acting as another clinician by URL")
            #expect(refused(try await hello(a.cookie, origin: "https://evil.example")), "another site's page")
            let welcomed = try await hello(a.cookie, clinicianId: "dr-a", origin: "http://127.0.0.1:\(port)")
            guard case .welcome = welcomed else { Issue.record("the signed-in clinician was refused: \(welcomed)"); return }

            let live = try await WSPeer.connect(ws, headers: ["Cookie": "\(AccessControl.cookieName)=\(a.cookie)"])
            live.send(.hello(SignalingHello(role: .clinician, software: "t")))
            guard case .welcome = try await live.nextMessage() else { Issue.record("no welcome"); return }
            #expect(try await Self.call("DELETE", "\(base)/api/session", cookie: a.cookie, csrf: a.csrf).status == 200)
            guard case .error(let e) = try await live.nextMessage() else { Issue.record("no error on sign-out"); return }
            #expect(e.code == .notAuthenticated)
            #expect(try await live.waitUntilClosed())

            for (kiosk, token, ok) in [("kiosk-1", "kiosk-two-token", false), ("kiosk-1", nil, false), ("kiosk-1", "kiosk-one-token", true)]
                as [(String, String?, Bool)] {
                let k = try await WSPeer.connect(ws)
                defer { k.close() }
                k.send(.hello(SignalingHello(role: .kiosk, kioskId: kiosk, token: token, software: "t")))
                let m = try await k.nextMessage()
                if ok {
                    guard case .welcome = m else { Issue.record("kiosk-1 refused its own token"); continue }
                } else if token == nil {
                    guard case .error(let e) = m else { Issue.record("a kiosk without a token was welcomed"); continue }
                    #expect(e.code == .invalidField, "the protocol requires a kiosk's token")
                } else {
                    #expect(refused(m), "\(kiosk) with \(token ?? "no token")")
                }
            }
        }
    }
}
