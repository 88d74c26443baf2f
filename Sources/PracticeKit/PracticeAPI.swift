import Foundation
import Hummingbird
import HummingbirdWebSocket

/// The appointment book's HTTP API (docs/practice-api.md). Bodies are read by hand
/// (`AppointmentInput`) so every error is JSON naming the field; `APIErrorMiddleware` gives
/// Hummingbird's own errors under `/api` the same shape.
struct PracticeAPI: Sendable {
    /// Larger bodies get 413 `body-too-large`.
    static let maximumBodyBytes = APIError.maximumBodyBytes

    let hub: PracticeHub
    let access: AccessControl

    var dev: Bool { access.isDev }

    /// Who may call what (docs/practice-api.md#routes). A clinician's reads are narrowed to their
    /// own appointments; another's reads as 404, the same as one that does not exist.
    func register(on router: Router<BasicWebSocketRequestContext>) {
        let api = router.group("api")
        SessionRoutes(access: access, hub: hub).register(on: api)
        api.get("appointments") { request, _ -> Response in
            let principal = try access.authorize(request, [.clinician, .frontdesk])
            let now = await hub.now
            let asked = request.uri.queryParameters["clinician"].map(String.init)
            let list = await hub.appointments().filter { a in
                (asked == nil || a.0.clinician.id == asked) && Self.visible(a.0, to: principal)
            }
            return Self.jsonResponse(.array(list.map { Self.output($0.0, draft: $0.1, at: now) }))
        }
        api.post("appointments") { request, _ -> Response in
            try access.authorize(request, [.frontdesk])
            let change = try AppointmentInput.change(try await Self.body(request))
            let a = try await hub.create(change)
            return Self.jsonResponse(Self.output(a, draft: nil, at: await hub.now), status: .created)
        }
        api.get("appointments/:id") { request, context -> Response in
            let principal = try access.authorize(request, [.clinician, .frontdesk])
            let (a, draft) = try await appointment(context, for: principal)
            return Self.jsonResponse(Self.output(a, draft: draft, at: await hub.now))
        }
        api.patch("appointments/:id") { request, context -> Response in
            try access.authorize(request, [.frontdesk])
            let id = try context.parameters.require("id")
            let change = try AppointmentInput.change(try await Self.body(request))
            let a = try await hub.save(change, to: id)
            return Self.jsonResponse(Self.output(a, draft: nil, at: await hub.now))
        }
        api.put("appointments/:id/draft") { request, context -> Response in
            let principal = try access.authorize(request, [.frontdesk])
            let id = try context.parameters.require("id")
            let change = try AppointmentInput.change(try await Self.body(request))
            try await hub.setDraft(change, for: id)
            let (a, draft) = try await appointment(context, for: principal)
            return Self.jsonResponse(Self.output(a, draft: draft, at: await hub.now))
        }
        api.delete("appointments/:id/draft") { request, context -> Response in
            let principal = try access.authorize(request, [.frontdesk])
            let id = try context.parameters.require("id")
            try await hub.setDraft(nil, for: id)
            let (a, _) = try await appointment(context, for: principal)
            return Self.jsonResponse(Self.output(a, draft: nil, at: await hub.now))
        }
        api.get("appointments/:id/telehealth") { request, context -> Response in
            let principal = try access.authorize(request, [.clinician, .frontdesk])
            let (a, _) = try await appointment(context, for: principal)
            var at = await hub.now
            // Production ignores `at`: the rules are evaluated at the real time, whatever is asked.
            if dev, let text = request.uri.queryParameters["at"].map(String.init) {
                // A "+" offset arrives as a space when the query was not percent-encoded.
                switch Result(catching: { () throws(PracticeTime.ParseError) in
                    try PracticeTime.parseChecked(text.replacingOccurrences(of: " ", with: "+"))
                }) {
                case .success(let date): at = date
                case .failure(let error): throw APIError.invalidField("at", AppointmentInput.dateMessage("at", error))
                }
            }
            // A signed-in clinician asks as themselves, whatever the query names.
            let clinician = principal?.role == .clinician
                ? principal?.userId : request.uri.queryParameters["clinician"].map(String.init)
            return Self.jsonResponse(Self.telehealth(a, at: at, clinicianId: clinician))
        }
        api.get("kiosks/:kioskId/assignment") { request, context -> Response in
            try access.authorize(request, [.frontdesk])
            let kiosk = try kioskId(context)
            return Self.jsonResponse(Self.assignment(kiosk, await hub.assignment(kioskId: kiosk)))
        }
        api.post("kiosks/:kioskId/assignment") { request, context -> Response in
            try access.authorize(request, [.frontdesk])
            let kiosk = try kioskId(context)
            let appointmentId = try AppointmentInput.assignment(try await Self.body(request))
            if let appointmentId, await hub.appointment(appointmentId) == nil {
                throw APIError.notFound("appointmentId", "no appointment \(appointmentId)")
            }
            await hub.assign(kioskId: kiosk, appointmentId: appointmentId)
            return Self.jsonResponse(Self.assignment(kiosk, appointmentId))
        }
    }

    // MARK: - Request helpers

    /// Dev mode (no principal) and the front desk see every appointment; a clinician their own.
    static func visible(_ a: Appointment, to principal: Principal?) -> Bool {
        guard let principal, principal.role == .clinician else { return true }
        return a.clinician.id == principal.userId
    }

    /// The whole body, at most `maximumBodyBytes` (NIO's too-many-bytes error becomes 413).
    static func body(_ request: Request) async throws -> [UInt8] {
        let buffer = try await request.body.collect(upTo: Self.maximumBodyBytes)
        return Array(buffer.readableBytesView)
    }

    private func appointment(_ context: BasicWebSocketRequestContext, for principal: Principal?) async throws
        -> (Appointment, AppointmentChange?) {
        let id = try context.parameters.require("id")
        guard let found = await hub.appointment(id), Self.visible(found.0, to: principal) else {
            throw APIError.notFound("id", "no appointment \(id)")
        }
        return found
    }

    private func kioskId(_ context: BasicWebSocketRequestContext) throws -> String {
        let kiosk = try context.parameters.require("kioskId")
        guard AppointmentInput.isIdentifier(kiosk) else {
            throw APIError.invalidField("kioskId", "kioskId must be 1-128 characters of A-Z a-z 0-9 . _ : -")
        }
        return kiosk
    }

    // MARK: - Output

    static func jsonResponse(_ json: PracticeJSON, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: json.text)))
    }

    static func telehealth(_ a: Appointment, at now: Date, clinicianId: String? = nil) -> PracticeJSON {
        let d = TelehealthRules.evaluate(a, at: now, clinicianId: clinicianId)
        var o = PracticeJSONObject()
        o.set("appointmentId", a.id)
        o.set("evaluatedAt", PracticeTime.format(now))
        o.set("eligible", d.eligible)
        o.set("reasons", .array(d.reasons.map { r in
            var j = PracticeJSONObject()
            j.set("code", r.code)
            j.set("message", r.message)
            // The window's edge the reason is about, for machines (too-early: when it opens).
            switch r.code {
            case "too-early":
                j.set("opensAt", PracticeTime.format(d.opensAt))
                j.set("opensAtLocal", d.opensAtLocal)
            case "too-late":
                j.set("closedAt", PracticeTime.format(d.closesAt))
                j.set("closedAtLocal", d.closesAtLocal)
            default:
                break
            }
            return j.json
        }))
        o.set("opensAt", PracticeTime.format(d.opensAt))
        o.set("closesAt", PracticeTime.format(d.closesAt))
        o.set("opensAtLocal", d.opensAtLocal)
        o.set("closesAtLocal", d.closesAtLocal)
        o.set("timeZone", d.timeZone)
        return o.json
    }

    /// The saved appointment, its telehealth check at `now`, and its unsaved edit if any.
    static func output(_ a: Appointment, draft: AppointmentChange?, at now: Date) -> PracticeJSON {
        var o = PracticeJSONObject()
        o.set("id", a.id)
        o.set("type", a.type)
        o.set("scheduledAt", PracticeTime.format(a.scheduledAt))
        o.set("timeZone", a.timeZone)
        o.set("status", a.status.rawValue)
        var p = PracticeJSONObject()
        p.set("name", a.patient.name)
        p.set("portalAccount", a.patient.portalAccount)
        o.set("patient", p.json)
        var c = PracticeJSONObject()
        c.set("id", a.clinician.id)
        c.set("name", a.clinician.name)
        c.set("role", a.clinician.role.rawValue)
        o.set("clinician", c.json)
        o.set("telehealth", telehealth(a, at: now))
        o.setIfPresent("draft", draft?.json)
        return o.json
    }

    static func assignment(_ kioskId: String, _ appointmentId: String?) -> PracticeJSON {
        var o = PracticeJSONObject()
        o.set("kioskId", kioskId)
        o.set("appointmentId", appointmentId.map(PracticeJSON.string) ?? .null)
        return o.json
    }
}
