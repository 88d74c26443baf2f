import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import Testing
@testable import PracticeKit

/// The appointment API over real HTTP against practice-dev in-process, its clock fixed at
/// 2025-03-04 17:00 in Chicago (23:00Z).
@Suite(.serialized) struct PracticeAPITests {
    static let now = PracticeTime.parse("2025-03-04T17:00:00-06:00")!

    struct Reply: Sendable {
        var status: Int
        var text: String
        /// The session cookie's value, when the response set one.
        var cookie: String?
        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] }
        var error: [String: Any]? { json?["error"] as? [String: Any] }
    }

    /// One request; `body` is sent as is.
    static func call(_ method: String, _ url: String, _ body: String? = nil, cookie: String? = nil) async throws -> Reply {
        try await call(method, url, data: body.map { Data($0.utf8) }, cookie: cookie)
    }

    static func call(_ method: String, _ url: String, data: Data?, cookie: String? = nil) async throws -> Reply {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        if let data {
            request.httpBody = data
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let cookie { request.setValue("practice_session=\(cookie)", forHTTPHeaderField: "Cookie") }
        return try await withCheckedThrowingContinuation { continuation in
            AuthorizationTests.session.dataTask(with: request) { data, response, error in
                if let error { continuation.resume(throwing: error); return }
                let http = response as? HTTPURLResponse
                let setCookie = http?.value(forHTTPHeaderField: "Set-Cookie")
                let cookie = setCookie?.split(separator: ";").first.map { String($0.dropFirst("practice_session=".count)) }
                continuation.resume(returning: Reply(status: http?.statusCode ?? 0, text: String(decoding: data ?? Data(), as: UTF8.self),
                                                     cookie: cookie))
            }.resume()
        }
    }

    /// practice-dev on an ephemeral port with a fixed clock; `base` is `http://127.0.0.1:PORT`.
    static func withServer(dev: Bool = true, users: [PracticeUser] = [], book: AppointmentBook = .demo(now: now),
                           logs: LogCapture, _ body: @Sendable (_ base: String) async throws -> Void) async throws {
        var options = PracticeServer.Options()
        options.port = 0
        options.relay = Relay.Settings(dev: dev)
        options.users = users
        let server = PracticeServer(options: options, book: book, logger: logs.logger(level: .debug), clock: { now })
        let (ports, portSignal) = AsyncStream<Int>.makeStream()
        let task = Task { try await server.run(handleSignals: false) { portSignal.yield($0) } }
        defer { task.cancel() }
        var it = ports.makeAsyncIterator()
        guard let port = await it.next(), port > 0 else { throw WSPeer.Timeout(description: "server did not start") }
        try await body("http://127.0.0.1:\(port)")
        task.cancel()
        _ = await task.result
        for line in logs.all {
            #expect(!line.contains("Ada Lovelace") && !line.contains("Demo Patient") && !line.contains("Grace Hopper"), "\(line)")
        }
    }

    static let ada = #"""
        {"id":"appt-1","type":"Individual","scheduledAt":"2025-03-04T17:00:00-06:00","timeZone":"America/Chicago",
         "status":"Scheduled","patient":{"name":"Ada Lovelace","portalAccount":true},
         "clinician":{"name":"Dr. Rivera","role":"Clinician"}}
        """#

    @Test func createPatchGetAndTheTelehealthCheck() async throws {
        try await Self.withServer(logs: LogCapture()) { base in
            let created = try await Self.call("POST", "\(base)/api/appointments", Self.ada)
            #expect(created.status == 201, "\(created.text)")
            let a = try #require(created.json)
            #expect(a["id"] as? String == "appt-1" && a["type"] as? String == "Individual")
            #expect(a["scheduledAt"] as? String == "2025-03-04T23:00:00Z" && a["status"] as? String == "Scheduled")
            #expect((a["patient"] as? [String: Any])?["portalAccount"] as? Bool == true)
            let clinician = try #require(a["clinician"] as? [String: Any])
            #expect(clinician["id"] as? String == "dr-rivera", "the id is the name's slug")
            #expect(clinician["role"] as? String == "Clinician")
            let th = try #require(a["telehealth"] as? [String: Any])
            #expect(th["eligible"] as? Bool == true && th["opensAtLocal"] as? String == "12:00 PM" && th["closesAtLocal"] as? String == "10:00 PM")
            #expect(th["opensAt"] as? String == "2025-03-04T18:00:00Z" && th["closesAt"] as? String == "2025-03-05T04:00:00Z")
            #expect(a["draft"] == nil)

            let got = try await Self.call("GET", "\(base)/api/appointments/appt-1")
            #expect(got.status == 200 && got.text == created.text, "GET returns what POST returned")

            let generated = try await Self.call("POST", "\(base)/api/appointments", Self.ada.replacingOccurrences(of: #""id":"appt-1","#, with: ""))
            #expect(generated.status == 201)
            #expect((generated.json?["id"] as? String)?.hasPrefix("appt-") == true && generated.json?["id"] as? String != "appt-1")

            let early = try await Self.call("GET", "\(base)/api/appointments/appt-1/telehealth?at=2025-03-04T11:59:59-06:00")
            #expect(early.status == 200)
            let reasons = try #require(early.json?["reasons"] as? [[String: Any]])
            #expect(reasons.map { $0["code"] as? String } == ["too-early"])
            #expect(reasons.first?["message"] as? String == "Telehealth opens at 12:00 PM (America/Chicago).")
            #expect(reasons.first?["opensAt"] as? String == "2025-03-04T18:00:00Z" && reasons.first?["opensAtLocal"] as? String == "12:00 PM")
            let late = try await Self.call("GET", "\(base)/api/appointments/appt-1/telehealth?at=2025-03-04T22:00:01-06:00")
            let lateReason = try #require((late.json?["reasons"] as? [[String: Any]])?.first)
            #expect(lateReason["code"] as? String == "too-late" && lateReason["closedAt"] as? String == "2025-03-05T04:00:00Z")
            #expect(lateReason["closedAtLocal"] as? String == "10:00 PM")
            #expect(early.json?["evaluatedAt"] as? String == "2025-03-04T17:59:59Z" && early.json?["eligible"] as? Bool == false)
            let plus = try await Self.call("GET", "\(base)/api/appointments/appt-1/telehealth?at=2025-03-05T09:30:00%2B05:30")
            #expect(plus.json?["evaluatedAt"] as? String == "2025-03-05T04:00:00Z" && plus.json?["eligible"] as? Bool == true)
            let other = try await Self.call("GET", "\(base)/api/appointments/appt-1/telehealth?clinician=dr-other")
            #expect((other.json?["reasons"] as? [[String: Any]])?.map { $0["code"] as? String } == ["not-the-clinician"])
            let own = try await Self.call("GET", "\(base)/api/appointments/appt-1/telehealth?clinician=dr-rivera")
            #expect(own.json?["eligible"] as? Bool == true)

            let patched = try await Self.call("PATCH", "\(base)/api/appointments/appt-1", #"{"status":"Cancelled","clinician":{"role":"Intern"}}"#)
            #expect(patched.status == 200, "\(patched.text)")
            #expect(patched.json?["status"] as? String == "Cancelled")
            #expect((patched.json?["clinician"] as? [String: Any])?["role"] as? String == "Intern")
            #expect((patched.json?["clinician"] as? [String: Any])?["id"] as? String == "dr-rivera", "a PATCH keeps the clinician id")
            let th2 = try await Self.call("GET", "\(base)/api/appointments/appt-1/telehealth")
            #expect((th2.json?["reasons"] as? [[String: Any]])?.map { $0["code"] as? String } == ["cancelled"])

            let list = try await Self.call("GET", "\(base)/api/appointments?clinician=dr-rivera")
            let items = try #require((try? JSONSerialization.jsonObject(with: Data(list.text.utf8))) as? [[String: Any]])
            #expect(items.count == 2 && items.allSatisfy { ($0["clinician"] as? [String: Any])?["id"] as? String == "dr-rivera" })
            let all = try await Self.call("GET", "\(base)/api/appointments")
            #expect(all.text.contains("demo-1") && all.text.contains("appt-1"))
        }
    }

    @Test func anUnsavedEditIsShownButIgnoredUntilSaved() async throws {
        try await Self.withServer(logs: LogCapture()) { base in
            _ = try await Self.call("POST", "\(base)/api/appointments", Self.ada)
            let edit = #"{"type":"Group Therapy","status":"Cancelled","scheduledAt":"2025-03-06T09:00:00-06:00"}"#
            let drafted = try await Self.call("PUT", "\(base)/api/appointments/appt-1/draft", edit)
            #expect(drafted.status == 200, "\(drafted.text)")
            let draft = try #require(drafted.json?["draft"] as? [String: Any])
            #expect(draft["type"] as? String == "Group Therapy" && draft["status"] as? String == "Cancelled")
            #expect(draft["scheduledAt"] as? String == "2025-03-06T15:00:00Z" && draft["patient"] == nil)
            #expect(drafted.json?["type"] as? String == "Individual", "the saved appointment is unchanged")
            #expect((drafted.json?["telehealth"] as? [String: Any])?["eligible"] as? Bool == true)
            let check = try await Self.call("GET", "\(base)/api/appointments/appt-1/telehealth")
            #expect(check.json?["eligible"] as? Bool == true, "only the saved appointment counts")

            let discarded = try await Self.call("DELETE", "\(base)/api/appointments/appt-1/draft")
            #expect(discarded.status == 200 && discarded.json?["draft"] == nil)
            _ = try await Self.call("PUT", "\(base)/api/appointments/appt-1/draft", edit)
            let saved = try await Self.call("PATCH", "\(base)/api/appointments/appt-1", edit)
            #expect(saved.status == 200 && saved.json?["draft"] == nil, "saving clears the draft")
            let after = try await Self.call("GET", "\(base)/api/appointments/appt-1/telehealth")
            #expect((after.json?["reasons"] as? [[String: Any]])?.map { $0["code"] as? String } == ["type-not-eligible", "cancelled", "too-early"])
        }
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        var method = "POST"
        var path = "/api/appointments"
        var body: String?
        var status = 400
        var code: String
        var field: String?
        var testDescription: String { "\(method) \(path) \(body.map { String($0.prefix(60)) } ?? "") → \(status) \(code) \(field ?? "-")" }
    }

    /// A complete POST body with one field (dotted path) replaced by `value` (raw JSON), or
    /// removed when `value` is nil.
    static func post(_ path: String, _ value: String?) -> String {
        var fields: [(String, String)] = [
            ("id", #""appt-x""#), ("type", #""Individual""#), ("scheduledAt", #""2025-03-04T17:00:00-06:00""#),
            ("timeZone", #""America/Chicago""#), ("status", #""Scheduled""#),
            ("patient.name", #""Grace Hopper""#), ("patient.portalAccount", "true"),
            ("clinician.id", #""dr-h""#), ("clinician.name", #""Dr. H""#), ("clinician.role", #""Clinician""#),
        ]
        if let i = fields.firstIndex(where: { $0.0 == path }) {
            if let value { fields[i].1 = value } else { fields.remove(at: i) }
        } else if let value {
            fields.append((path, value))
        }
        func object(_ prefix: String) -> String {
            let own = fields.filter { $0.0.hasPrefix(prefix) }.map { (String($0.0.dropFirst(prefix.count)), $0.1) }
            var parts: [String] = []
            var nested: [String] = []
            for (k, v) in own {
                if let dot = k.firstIndex(of: ".") {
                    let head = String(k[..<dot])
                    if !nested.contains(head) { nested.append(head) }
                } else {
                    parts.append("\"\(k)\":\(v)")
                }
            }
            for n in nested { parts.append("\"\(n)\":" + object(prefix + n + ".")) }
            return "{" + parts.joined(separator: ",") + "}"
        }
        if path == "patient" || path == "clinician" {
            fields.removeAll { $0.0.hasPrefix(path + ".") }
            if let value { return String(object("").dropLast()) + ",\"\(path)\":\(value)}" }
        }
        return object("")
    }

    static let badInput: [Bad] = [
        Bad(body: "hello", code: "invalid-json"),
        Bad(body: "", code: "invalid-json"),
        Bad(body: "[]", code: "invalid-json"),
        Bad(body: #"{"type":"Individual""#, code: "invalid-json"),
        Bad(body: String(repeating: "[", count: 100) + String(repeating: "]", count: 100), code: "invalid-json"),
        // Wrong JSON types, one field at a time.
        Bad(body: post("id", "5"), code: "invalid-field", field: "id"),
        Bad(body: post("id", #""has space""#), code: "invalid-field", field: "id"),
        Bad(body: post("type", "true"), code: "invalid-field", field: "type"),
        Bad(body: post("type", #""""#), code: "invalid-field", field: "type"),
        Bad(body: post("type", "\"" + String(repeating: "x", count: 101) + "\""), code: "invalid-field", field: "type"),
        Bad(body: post("scheduledAt", "17"), code: "invalid-field", field: "scheduledAt"),
        Bad(body: post("timeZone", "null"), code: "invalid-field", field: "timeZone"),
        Bad(body: post("status", #"["Scheduled"]"#), code: "invalid-field", field: "status"),
        Bad(body: post("patient", #""Grace""#), code: "invalid-field", field: "patient"),
        Bad(body: post("patient.name", "1"), code: "invalid-field", field: "patient.name"),
        Bad(body: post("patient.portalAccount", #""yes""#), code: "invalid-field", field: "patient.portalAccount"),
        Bad(body: post("patient.portalAccount", "1"), code: "invalid-field", field: "patient.portalAccount"),
        Bad(body: post("clinician", "[]"), code: "invalid-field", field: "clinician"),
        Bad(body: post("clinician.id", #""dr h!""#), code: "invalid-field", field: "clinician.id"),
        Bad(body: post("clinician.name", "false"), code: "invalid-field", field: "clinician.name"),
        Bad(body: post("clinician.role", "1"), code: "invalid-field", field: "clinician.role"),
        // Missing fields.
        Bad(body: post("type", nil), code: "missing-field", field: "type"),
        Bad(body: post("scheduledAt", nil), code: "missing-field", field: "scheduledAt"),
        Bad(body: post("timeZone", nil), code: "missing-field", field: "timeZone"),
        Bad(body: post("status", nil), code: "missing-field", field: "status"),
        Bad(body: post("patient", nil), code: "missing-field", field: "patient.name"),
        Bad(body: post("patient.name", nil), code: "missing-field", field: "patient.name"),
        Bad(body: post("patient.portalAccount", nil), code: "missing-field", field: "patient.portalAccount"),
        Bad(body: post("clinician.name", nil), code: "missing-field", field: "clinician.name"),
        Bad(body: post("clinician.role", nil), code: "missing-field", field: "clinician.role"),
        // Bad values.
        Bad(body: post("scheduledAt", #""2025-03-04T17:00:00""#), code: "invalid-field", field: "scheduledAt"),
        Bad(body: post("scheduledAt", #""2025-02-30T10:00:00Z""#), code: "invalid-field", field: "scheduledAt"),
        Bad(body: post("scheduledAt", #""tomorrow""#), code: "invalid-field", field: "scheduledAt"),
        Bad(body: post("timeZone", #""Mars/Olympus""#), code: "invalid-field", field: "timeZone"),
        Bad(body: post("timeZone", #""GMT+5""#), code: "invalid-field", field: "timeZone"),
        Bad(body: post("status", #""cancelled""#), code: "invalid-field", field: "status"),
        Bad(body: post("status", #""Confirmed""#), code: "invalid-field", field: "status"),
        Bad(body: post("clinician.role", #""Doctor""#), code: "invalid-field", field: "clinician.role"),
        Bad(body: post("saved", "true"), code: "unknown-field", field: "saved"),
        Bad(body: post("patient.email", #""g@example.com""#), code: "unknown-field", field: "patient.email"),
        // The resource.
        Bad(body: post("id", #""appt-1""#), status: 409, code: "conflict", field: "id"),
        Bad(method: "GET", path: "/api/appointments/nope", status: 404, code: "not-found", field: "id"),
        Bad(method: "PATCH", path: "/api/appointments/nope", body: "{}", status: 404, code: "not-found", field: "id"),
        Bad(method: "PATCH", path: "/api/appointments/appt-1", body: #"{"id":"appt-2"}"#, code: "invalid-field", field: "id"),
        Bad(method: "PATCH", path: "/api/appointments/appt-1", body: #"{"patient":{"portalAccount":null}}"#,
            code: "invalid-field", field: "patient.portalAccount"),
        Bad(method: "PUT", path: "/api/appointments/nope/draft", body: "{}", status: 404, code: "not-found", field: "id"),
        Bad(method: "DELETE", path: "/api/appointments/nope/draft", status: 404, code: "not-found", field: "id"),
        Bad(method: "GET", path: "/api/appointments/nope/telehealth", status: 404, code: "not-found", field: "id"),
        Bad(method: "GET", path: "/api/appointments/appt-1/telehealth?at=2025-03-04T17:00:00", code: "invalid-field", field: "at"),
        Bad(method: "GET", path: "/api/appointments/appt-1/telehealth?at=2025-02-30T17:00:00Z", code: "invalid-field", field: "at"),
        Bad(path: "/api/kiosks/kiosk-1/assignment", body: #"{"appointmentId":"nope"}"#, status: 404, code: "not-found", field: "appointmentId"),
        Bad(path: "/api/kiosks/kiosk-1/assignment", body: "{}", code: "missing-field", field: "appointmentId"),
        Bad(path: "/api/kiosks/kiosk-1/assignment", body: #"{"appointmentId":3}"#, code: "invalid-field", field: "appointmentId"),
        Bad(path: "/api/kiosks/kiosk-1/assignment", body: #"{"appointmentId":null,"x":1}"#, code: "unknown-field", field: "x"),
        Bad(path: "/api/kiosks/kiosk%20one/assignment", body: #"{"appointmentId":null}"#, code: "invalid-field", field: "kioskId"),
        Bad(method: "GET", path: "/api/nothing", status: 404, code: "not-found"),
        Bad(method: "GET", path: "/api", status: 404, code: "not-found"),
    ]

    @Test(arguments: badInput)
    func malformedInputGetsAJSONErrorNamingTheField(_ bad: Bad) async throws {
        try await Self.withServer(logs: LogCapture()) { base in
            #expect(try await Self.call("POST", "\(base)/api/appointments", Self.ada).status == 201)
            let reply = try await Self.call(bad.method, base + bad.path, bad.body)
            #expect(reply.status == bad.status, "\(reply.text)")
            let e = try #require(reply.error, "not a JSON error: \(reply.text)")
            #expect(e["status"] as? Int == bad.status)
            #expect(e["code"] as? String == bad.code)
            #expect(e["field"] as? String == bad.field, "\(reply.text)")
            #expect(e.keys.contains("field"), "field is always present (null when none)")
            #expect((e["message"] as? String)?.isEmpty == false)
        }
    }

    @Test(arguments: [64 * 1024 + 1, 1024 * 1024])
    func aHugeBodyIs413(_ size: Int) async throws {
        try await Self.withServer(logs: LogCapture()) { base in
            // Valid JSON, so only the size can be refused.
            let body = "{\"type\":\"" + String(repeating: "x", count: size - 11) + "\"}"
            #expect(body.utf8.count == size)
            for (method, path) in [("POST", "/api/appointments"), ("PATCH", "/api/appointments/demo-1"),
                                   ("PUT", "/api/appointments/demo-1/draft"), ("POST", "/api/kiosks/kiosk-1/assignment")] {
                let reply = try await Self.call(method, base + path, body)
                #expect(reply.status == 413, "\(method) \(path)")
                #expect(reply.error?["code"] as? String == "body-too-large", "\(reply.text)")
            }
            let demo = try await Self.call("GET", "\(base)/api/appointments/demo-1")
            #expect(demo.json?["type"] as? String == "Individual" && demo.json?["draft"] == nil)
        }
    }

    @Test func nothingIsHalfSaved() async throws {
        try await Self.withServer(logs: LogCapture()) { base in
            _ = try await Self.call("POST", "\(base)/api/appointments", Self.ada)
            _ = try await Self.call("PUT", "\(base)/api/appointments/appt-1/draft", #"{"status":"Missed"}"#)
            let before = try await Self.call("GET", "\(base)/api/appointments/appt-1")
            #expect(before.status == 200 && before.text.contains("\"draft\""))
            let bad = [
                #"{"type":"Group Therapy","patient":{"portalAccount":"no"}}"#,
                #"{"status":"Cancelled","scheduledAt":"2025-02-30T10:00:00Z"}"#,
                #"{"clinician":{"name":"Dr. New","role":"Surgeon"}}"#,
                #"{"type":"Intake","bogus":1}"#,
                #"{"timeZone":"America/New_York","patient":{"name":""}}"#,
            ]
            for body in bad {
                let patch = try await Self.call("PATCH", "\(base)/api/appointments/appt-1", body)
                #expect(patch.status == 400, "\(body)")
                let draft = try await Self.call("PUT", "\(base)/api/appointments/appt-1/draft", body)
                #expect(draft.status == 400, "\(body)")
                let after = try await Self.call("GET", "\(base)/api/appointments/appt-1")
                #expect(after.text == before.text, "\(body) changed the record")
            }
            let over = try await Self.call("PATCH", "\(base)/api/appointments/appt-1",
                                           #"{"type":"Group Therapy","x":""# + String(repeating: "y", count: 70_000) + "\"}")
            #expect(over.status == 413)
            #expect(try await Self.call("GET", "\(base)/api/appointments/appt-1").text == before.text)
        }
    }

    @Test func assignmentsAreSetAndRead() async throws {
        try await Self.withServer(logs: LogCapture()) { base in
            _ = try await Self.call("POST", "\(base)/api/appointments", Self.ada)
            let initial = try await Self.call("GET", "\(base)/api/kiosks/kiosk-1/assignment")
            #expect(initial.text == #"{"kioskId":"kiosk-1","appointmentId":"demo-1"}"#)
            let set = try await Self.call("POST", "\(base)/api/kiosks/kiosk-2/assignment", #"{"appointmentId":"appt-1"}"#)
            #expect(set.status == 200 && set.text == #"{"kioskId":"kiosk-2","appointmentId":"appt-1"}"#)
            #expect(try await Self.call("GET", "\(base)/api/kiosks/kiosk-2/assignment").text == set.text)
            let cleared = try await Self.call("POST", "\(base)/api/kiosks/kiosk-2/assignment", #"{"appointmentId":null}"#)
            #expect(cleared.text == #"{"kioskId":"kiosk-2","appointmentId":null}"#)
            #expect(try await Self.call("GET", "\(base)/api/kiosks/kiosk-9/assignment").text == #"{"kioskId":"kiosk-9","appointmentId":null}"#)
        }
    }

    @Test func atIsIgnoredAndASessionRequiredWithoutDevMode() async throws {
        var book = AppointmentBook.demo(now: Self.now)
        book.assign(kioskId: "kiosk-1", appointmentId: nil)
        let desk = PracticeUser(id: "desk", role: .frontdesk, password: try PasswordHash.make("front desk password"))
        try await Self.withServer(dev: false, users: [desk], book: book, logs: LogCapture()) { base in
            let signIn = try await Self.call("POST", "\(base)/api/session", #"{"id":"desk","password":"front desk password"}"#)
            let cookie = try #require(signIn.cookie)
            let url = "\(base)/api/appointments/demo-1/telehealth"
            // An instant outside the window changes nothing: production evaluates now.
            let at = try await Self.call("GET", url + "?at=2020-01-01T00:00:00Z", cookie: cookie)
            #expect(at.status == 200 && at.json?["eligible"] as? Bool == true)
            #expect(at.json?["evaluatedAt"] as? String == PracticeTime.format(Self.now))
            let plain = try await Self.call("GET", url, cookie: cookie)
            #expect(plain.status == 200 && plain.json?["eligible"] as? Bool == true)
            let anonymous = try await Self.call("GET", url)
            #expect(anonymous.status == 401 && anonymous.error?["code"] as? String == "unauthorized")
            let wrong = try await Self.call("POST", "\(base)/api/appointments", Self.ada, cookie: "nope")
            #expect(wrong.status == 401)
            #expect(try await Self.call("GET", "\(base)/api/appointments/appt-1", cookie: cookie).status == 404, "nothing was created")
        }
    }
}
